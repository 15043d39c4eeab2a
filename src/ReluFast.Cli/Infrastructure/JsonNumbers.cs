using System.Text.Json;

namespace ReluFast.Cli.Infrastructure;

/// <summary>
/// Writes doubles that may be infinite or NaN as valid JSON: +-infinity (a missing or extra neuron
/// makes a parameter error infinite) becomes +-1.7976931348623157E+308 (double.MaxValue), which every
/// JSON reader parses as a number and any threshold test rejects; NaN becomes <c>null</c>.
/// </summary>
internal static class JsonNumbers
{
    /// <summary>Writes <paramref name="value"/> under <paramref name="name"/>.</summary>
    public static void Write(Utf8JsonWriter writer, string name, double value)
    {
        writer.WritePropertyName(name);
        Write(writer, value);
    }

    /// <summary>Writes <paramref name="value"/> as an array element or property value.</summary>
    public static void Write(Utf8JsonWriter writer, double value)
    {
        if (double.IsNaN(value)) writer.WriteNullValue();
        else if (double.IsPositiveInfinity(value)) writer.WriteNumberValue(double.MaxValue);
        else if (double.IsNegativeInfinity(value)) writer.WriteNumberValue(double.MinValue);
        else writer.WriteNumberValue(value);
    }

    /// <summary>Builds one JSON object with <paramref name="body"/> and returns its text.</summary>
    public static string Object(Action<Utf8JsonWriter> body, bool indented = false)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = indented }))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(buffer.ToArray());
    }
}
