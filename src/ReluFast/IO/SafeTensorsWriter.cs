using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using ReluFast.Model;

namespace ReluFast.IO;

/// <summary>
/// Writes a <see cref="ReluNetwork"/> as a safetensors file holding the state dict of the PyTorch module
/// <c>nn.Sequential(nn.Linear(d, m), nn.ReLU(), nn.Linear(m, 1))</c>, so that Python loads it in one line:
/// <code>model.load_state_dict(safetensors.torch.load_file("model.safetensors"))</code>
/// Tensors: <c>"0.weight"</c> (m x d, row i is w_i), <c>"0.bias"</c> (m, = b), <c>"2.weight"</c> (1 x m, = a),
/// <c>"2.bias"</c> (1, = c0) and <c>"linear.weight"</c> (1 x d, = c; zeros when there is no linear remainder).
/// <para>
/// The linear remainder &lt;c, x&gt; cannot be held by that module: pop <see cref="LinearWeightsTensor"/> from the state dict
/// before loading it, and add it, <c>y = model(x) + x @ state["linear.weight"].T</c> (README, "The model in PyTorch").
/// When c is non-zero it is also written, to full precision, to <c>__metadata__</c> under <see cref="LinearWeightsKey"/>
/// as a JSON array in a string (what ReluFast reads back first).
/// </para>
/// <para>
/// Format: 8 bytes little-endian header length N, N bytes of JSON header padded with spaces to a
/// multiple of 8, then the tensors' little-endian bytes, contiguous, in header order.
/// </para>
/// </summary>
public static class SafeTensorsWriter
{
    /// <summary>The tensor holding the linear weights c, shape [1, d] (a row, as <c>nn.Linear(d, 1).weight</c>).</summary>
    public const string LinearWeightsTensor = "linear.weight";

    /// <summary>The <c>__metadata__</c> key holding the linear weights c as a JSON array (present only when c is non-zero).</summary>
    public const string LinearWeightsKey = "relufast.linear.weights";

    /// <summary>The <c>__metadata__</c> key holding the input dimension d.</summary>
    public const string InputDimKey = "relufast.inputDim";

    /// <summary>The <c>__metadata__</c> key holding the number of hidden neurons m.</summary>
    public const string HiddenKey = "relufast.hidden";

    /// <summary>Writes <paramref name="network"/> to <paramref name="path"/> (replaced only once fully written).</summary>
    /// <param name="network">The network.</param>
    /// <param name="path">The file to write.</param>
    /// <param name="dtype">F32 (PyTorch's default) or F64.</param>
    /// <param name="metadata">Extra <c>__metadata__</c> strings.</param>
    public static void Write(ReluNetwork network, string path, SafeTensorsDType dtype = SafeTensorsDType.F32,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        using var file = new AtomicFile(path);
        Write(network, file.Stream, dtype, metadata);
        file.Commit();
    }

    /// <summary>Writes <paramref name="network"/> as a safetensors image to <paramref name="stream"/>.</summary>
    public static void Write(ReluNetwork network, Stream stream, SafeTensorsDType dtype = SafeTensorsDType.F32,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        ArgumentNullException.ThrowIfNull(stream);
        int d = network.InputDim, m = network.Hidden;
        double[] c0 = [network.LinearBias];
        (string Name, long[] Shape, double[] Values)[] tensors =
        [
            ("0.weight", [m, d], network.W.ToArray()),
            ("0.bias", [m], network.B.ToArray()),
            ("2.weight", [1, m], network.A.ToArray()),
            ("2.bias", [1], c0),
            (LinearWeightsTensor, [1, d], network.LinearWeights.ToArray()),
        ];

        var meta = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = "pt",
            [InputDimKey] = d.ToString(CultureInfo.InvariantCulture),
            [HiddenKey] = m.ToString(CultureInfo.InvariantCulture),
        };
        if (network.LinearWeights.ContainsAnyExcept(0.0))
            meta[LinearWeightsKey] = JsonArray(network.LinearWeights);
        if (metadata is not null)
            foreach (var (k, v) in metadata) meta[k] = v;

        int item = dtype == SafeTensorsDType.F32 ? 4 : 8;
        if (dtype == SafeTensorsDType.F32)
            foreach (var t in tensors)
                foreach (double v in t.Values)
                    if (float.IsInfinity((float)v))
                        throw new ArgumentException($"{t.Name} holds {v:R}, which float32 cannot represent; write F64 instead.", nameof(network));
        using var headerStream = new MemoryStream();
        using (var w = new Utf8JsonWriter(headerStream))
        {
            w.WriteStartObject();
            w.WriteStartObject("__metadata__");
            foreach (var (k, v) in meta) w.WriteString(k, v);
            w.WriteEndObject();
            long offset = 0;
            foreach (var t in tensors)
            {
                long end = offset + (long)t.Values.Length * item;
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", dtype.ToString());
                w.WriteStartArray("shape");
                foreach (long n in t.Shape) w.WriteNumberValue(n);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                w.WriteNumberValue(end);
                w.WriteEndArray();
                w.WriteEndObject();
                offset = end;
            }
            w.WriteEndObject();
        }
        int padding = (8 - (int)(headerStream.Length % 8)) % 8;
        for (int i = 0; i < padding; i++) headerStream.WriteByte((byte)' ');

        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)headerStream.Length);
        stream.Write(length);
        headerStream.Position = 0;
        headerStream.CopyTo(stream);
        foreach (var t in tensors)
        {
            if (dtype == SafeTensorsDType.F64)
                stream.Write(MemoryMarshal.AsBytes(t.Values.AsSpan()));
            else
                stream.Write(MemoryMarshal.AsBytes(t.Values.Select(v => (float)v).ToArray().AsSpan()));
        }
        stream.Flush();
    }

    private static string JsonArray(ReadOnlySpan<double> values)
    {
        var sb = new StringBuilder("[");
        for (int i = 0; i < values.Length; i++)
        {
            if (i > 0) sb.Append(", ");
            sb.Append(values[i].ToString("R", CultureInfo.InvariantCulture));
        }
        return sb.Append(']').ToString();
    }
}
