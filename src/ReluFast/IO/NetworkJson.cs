using System.Globalization;
using System.Text;
using System.Text.Json;
using ReluFast.Model;

namespace ReluFast.IO;

/// <summary>
/// Reads and writes a <see cref="ReluNetwork"/> (teacher or learned model) as JSON:
/// <code>
/// {"inputDim": d, "hidden": m, "a": [m numbers], "w": [m arrays of d numbers, row i is w_i],
///  "b": [m numbers], "linear": {"bias": c0, "weights": [d numbers]}}
/// </code>
/// <c>linear</c> may be absent (a zero linear part); other fields (metadata) are ignored on read.
/// Numbers are written in the shortest form that parses back to the same double, so a write and a
/// read give exactly the same network. Built on <see cref="Utf8JsonWriter"/> and
/// <see cref="JsonDocument"/>: no reflection, safe for trimming and native AOT.
/// </summary>
public static class NetworkJson
{
    private static readonly JsonDocumentOptions ReadOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = 64,
    };

    /// <summary>
    /// The largest inputDim accepted when no array in the file has inputDim entries (no neurons and no linear weights):
    /// a bound on what a few bytes can make the reader allocate.
    /// </summary>
    public const int MaxUnbackedInputDim = 1 << 20;

    /// <summary>Reads the network in the file at <paramref name="path"/>.</summary>
    /// <exception cref="ReluFastDataException">The file is missing, not JSON, or not a valid network;
    /// the message names the file and the problem.</exception>
    public static ReluNetwork Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = InputFile.ReadAllBytes(path, Array.MaxLength, "a network file (read whole)");
        return Parse(bytes, path);
    }

    /// <summary>Parses a network from JSON text.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="sourceName">The name used in error messages (e.g. the file name).</param>
    public static ReluNetwork Parse(string json, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        return Parse(Encoding.UTF8.GetBytes(json), sourceName);
    }

    /// <summary>Parses a network from UTF-8 JSON.</summary>
    /// <param name="utf8Json">The JSON bytes (a UTF-8 byte order mark is allowed).</param>
    /// <param name="sourceName">The name used in error messages (e.g. the file name).</param>
    /// <exception cref="ReluFastDataException">The text is not JSON or not a valid network.</exception>
    public static ReluNetwork Parse(ReadOnlyMemory<byte> utf8Json, string? sourceName = null) =>
        WithDocument(utf8Json, sourceName, root => FromElement(root, sourceName));

    /// <summary>
    /// Reads the network in the file at <paramref name="path"/> and its <c>"metadata"</c> object (what
    /// <see cref="Write(ReluNetwork, string, bool, IReadOnlyDictionary{string, string}?)"/> wrote; empty when absent): string
    /// values as they are, other values as their JSON text, so that a caller checking a field sees what the file holds.
    /// </summary>
    /// <exception cref="ReluFastDataException">As <see cref="Read(string)"/>, or "metadata" is present but not an object.</exception>
    internal static ReluNetwork Read(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = InputFile.ReadAllBytes(path, Array.MaxLength, "a network file (read whole)");
        (ReluNetwork network, metadata) = WithDocument(bytes, path, root => (FromElement(root, path), Metadata(root, path)));
        return network;
    }

    private static Dictionary<string, string> Metadata(JsonElement root, string sourceName)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!root.TryGetProperty("metadata", out var metadata) || metadata.ValueKind == JsonValueKind.Null) return fields;
        if (metadata.ValueKind != JsonValueKind.Object)
            throw new ReluFastDataException(sourceName, $"metadata must be an object of named strings, found {Describe(metadata)}.");
        foreach (var field in metadata.EnumerateObject())
            fields[field.Name] = field.Value.ValueKind == JsonValueKind.String ? field.Value.GetString()! : field.Value.GetRawText();
        return fields;
    }

    private static T WithDocument<T>(ReadOnlyMemory<byte> utf8Json, string? sourceName, Func<JsonElement, T> read)
    {
        var span = utf8Json.Span;
        if (span.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) utf8Json = utf8Json[3..];
        if (!System.Text.Unicode.Utf8.IsValid(utf8Json.Span))
            throw new ReluFastDataException(sourceName, "not valid JSON: the file is not UTF-8 text.");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(utf8Json, ReadOptions);
        }
        catch (JsonException e)
        {
            string hint = LooksLikeNonFiniteLiteral(utf8Json.Span)
                ? " (NaN and Infinity are not JSON numbers, and network parameters must be finite)"
                : "";
            string where = e.LineNumber is long line ? $" at line {line + 1}, position {e.BytePositionInLine + 1}" : "";
            throw new ReluFastDataException(sourceName, $"not valid JSON{where}{hint}: {FirstSentence(e.Message)}", e);
        }
        using (doc)
            return read(doc.RootElement);
    }

    /// <summary>Builds a network from an already parsed JSON object (extra properties are ignored).</summary>
    /// <exception cref="ReluFastDataException">The object is not a valid network.</exception>
    public static ReluNetwork FromElement(JsonElement root, string? sourceName = null)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new ReluFastDataException(sourceName, $"expected a JSON object describing a network, found {Describe(root)}.");
        int d = PositiveInt(root, "inputDim", sourceName, allowZero: false);
        int m = PositiveInt(root, "hidden", sourceName, allowZero: true);

        double[] a = Vector(Required(root, "a", sourceName), "a", m, "hidden", sourceName);
        double[] b = Vector(Required(root, "b", sourceName), "b", m, "hidden", sourceName);

        var wElement = Required(root, "w", sourceName);
        if (wElement.ValueKind != JsonValueKind.Array)
            throw new ReluFastDataException(sourceName, $"w must be an array of {m} rows, found {Describe(wElement)}.");
        int rows = wElement.GetArrayLength();
        if (rows != m)
            throw new ReluFastDataException(sourceName, $"w has {rows} rows but hidden is {m}: w needs one row (w_i) per hidden neuron.");
        var w = new double[(long)m * d];
        int i = 0;
        foreach (var row in wElement.EnumerateArray())
        {
            double[] wi = Vector(row, $"w[{i}]", d, "inputDim", sourceName);
            wi.CopyTo(w, (long)i * d);
            i++;
        }

        double c0 = 0;
        double[]? c = null;
        if (root.TryGetProperty("linear", out var linear) && linear.ValueKind != JsonValueKind.Null)
        {
            if (linear.ValueKind != JsonValueKind.Object)
                throw new ReluFastDataException(sourceName,
                    $"linear must be an object {{\"bias\": c0, \"weights\": [d numbers]}}, found {Describe(linear)}.");
            if (linear.TryGetProperty("bias", out var bias)) c0 = Number(bias, "linear.bias", sourceName);
            if (linear.TryGetProperty("weights", out var weights) && weights.ValueKind != JsonValueKind.Null)
                c = Vector(weights, "linear.weights", d, "inputDim", sourceName);
        }

        if (m == 0 && c is null && d > MaxUnbackedInputDim)
            throw new ReluFastDataException(sourceName,
                $"inputDim is {d} but the file holds no array of that length (hidden = 0 and no linear.weights), so nothing backs it; " +
                $"such a network is a constant, and inputDim above {MaxUnbackedInputDim} is refused for it.");
        try
        {
            return new ReluNetwork(d, a, w, b, c0, c);
        }
        catch (ArgumentException e)
        {
            throw new ReluFastDataException(sourceName, $"not a valid network: {e.Message}", e);
        }
    }

    /// <summary>Writes <paramref name="network"/> to <paramref name="path"/> (replaced only once fully written).</summary>
    /// <param name="network">The network.</param>
    /// <param name="path">The file to write.</param>
    /// <param name="indented">Indent the JSON for reading by people.</param>
    /// <param name="metadata">Optional extra string fields, written under <c>"metadata"</c> (readers ignore them).</param>
    public static void Write(ReluNetwork network, string path, bool indented = true, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        using var file = new AtomicFile(path);
        Write(network, file.Stream, indented, metadata);
        file.Commit();
    }

    /// <summary>Writes <paramref name="network"/> as UTF-8 JSON to <paramref name="stream"/>.</summary>
    public static void Write(ReluNetwork network, Stream stream, bool indented = true, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = indented });
        Write(network, writer, metadata);
        writer.Flush();
        if (indented) stream.Write("\n"u8);
    }

    /// <summary>Writes <paramref name="network"/> as one JSON object to <paramref name="writer"/> (e.g. inside a larger document).</summary>
    public static void Write(ReluNetwork network, Utf8JsonWriter writer, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(writer);
        int d = network.InputDim, m = network.Hidden;
        writer.WriteStartObject();
        writer.WriteNumber("inputDim", d);
        writer.WriteNumber("hidden", m);
        WriteArray(writer, "a", network.A);
        writer.WriteStartArray("w");
        for (int i = 0; i < m; i++) WriteArray(writer, null, network.WeightsOf(i));
        writer.WriteEndArray();
        WriteArray(writer, "b", network.B);
        writer.WriteStartObject("linear");
        WriteNumber(writer, "bias", network.LinearBias);
        WriteArray(writer, "weights", network.LinearWeights);
        writer.WriteEndObject();
        if (metadata is { Count: > 0 })
        {
            writer.WriteStartObject("metadata");
            foreach (var (key, value) in metadata) writer.WriteString(key, value);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    /// <summary>The JSON text of <paramref name="network"/>.</summary>
    public static string ToJson(ReluNetwork network, bool indented = true)
    {
        using var ms = new MemoryStream();
        Write(network, ms, indented);
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static void WriteArray(Utf8JsonWriter writer, string? name, ReadOnlySpan<double> values)
    {
        if (name is null) writer.WriteStartArray(); else writer.WriteStartArray(name);
        foreach (double v in values) WriteNumber(writer, null, v);
        writer.WriteEndArray();
    }

    private static void WriteNumber(Utf8JsonWriter writer, string? name, double value)
    {
        // "R": the shortest text that parses back to exactly this double (also what .NET's default gives).
        Span<byte> buffer = stackalloc byte[32];
        if (!value.TryFormat(buffer, out int n, "R", CultureInfo.InvariantCulture))
            throw new InvalidOperationException("A double did not fit its formatting buffer.");
        if (name is null) writer.WriteRawValue(buffer[..n], skipInputValidation: false);
        else
        {
            writer.WritePropertyName(name);
            writer.WriteRawValue(buffer[..n], skipInputValidation: false);
        }
    }

    private static JsonElement Required(JsonElement root, string name, string? sourceName)
    {
        if (!root.TryGetProperty(name, out var value))
            throw new ReluFastDataException(sourceName, $"the network has no \"{name}\" field (a network needs inputDim, hidden, a, w and b).");
        return value;
    }

    private static int PositiveInt(JsonElement root, string name, string? sourceName, bool allowZero)
    {
        var e = Required(root, name, sourceName);
        string need = allowZero ? "a non-negative integer" : "a positive integer";
        if (e.ValueKind != JsonValueKind.Number)
            throw new ReluFastDataException(sourceName, $"{name} must be {need}, found {Describe(e)}.");
        if (!e.TryGetInt32(out int v) || v < 0 || (!allowZero && v == 0))
            throw new ReluFastDataException(sourceName, $"{name} must be {need}, found {e.GetRawText()}.");
        return v;
    }

    private static double[] Vector(JsonElement e, string name, int expected, string expectedName, string? sourceName)
    {
        if (e.ValueKind != JsonValueKind.Array)
            throw new ReluFastDataException(sourceName, $"{name} must be an array of {expected} numbers, found {Describe(e)}.");
        int n = e.GetArrayLength();
        if (n != expected)
            throw new ReluFastDataException(sourceName, $"{name} has {n} numbers but {expectedName} is {expected}.");
        var result = new double[n];
        int i = 0;
        foreach (var item in e.EnumerateArray())
        {
            result[i] = Number(item, $"{name}[{i}]", sourceName);
            i++;
        }
        return result;
    }

    private static double Number(JsonElement e, string name, string? sourceName)
    {
        if (e.ValueKind != JsonValueKind.Number)
            throw new ReluFastDataException(sourceName, $"{name} must be a number, found {Describe(e)}.");
        if (!e.TryGetDouble(out double v) || !double.IsFinite(v))
            throw new ReluFastDataException(sourceName, $"{name} = {e.GetRawText()} is not a finite double.");
        return v;
    }

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => $"the string {Truncate(e.GetRawText())}",
        JsonValueKind.Array => $"an array of {e.GetArrayLength()} items",
        JsonValueKind.Object => "an object",
        JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
        JsonValueKind.Null => "null",
        JsonValueKind.Number => $"the number {e.GetRawText()}",
        _ => e.ValueKind.ToString(),
    };

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "...";

    private static string FirstSentence(string message)
    {
        int cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static bool LooksLikeNonFiniteLiteral(ReadOnlySpan<byte> json) =>
        json.IndexOf("NaN"u8) >= 0 || json.IndexOf("Infinity"u8) >= 0;
}
