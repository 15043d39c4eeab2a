using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using ReluFast.Model;

namespace ReluFast.IO;

/// <summary>
/// Reads safetensors files (F64, F32, F16 and BF16 tensors, converted to double), checking the file
/// the way the reference implementation does: header length within the file and at most 100 MB,
/// a JSON object header, every tensor's byte range matching its dtype and shape, and the ranges
/// contiguous from 0 to the end of the file. Also turns the state dict written by
/// <see cref="SafeTensorsWriter"/> back into a <see cref="ReluNetwork"/>.
/// </summary>
public static class SafeTensorsReader
{
    /// <summary>The largest header accepted (the reference implementation's limit).</summary>
    public const long MaxHeaderLength = 100_000_000;

    /// <summary>Reads and checks the file at <paramref name="path"/>.</summary>
    /// <exception cref="ReluFastDataException">The file is missing or not a valid safetensors file.</exception>
    public static SafeTensorsFile Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] bytes = InputFile.ReadAllBytes(path, Array.MaxLength, "a safetensors file (read whole)");
        return Parse(bytes, path);
    }

    /// <summary>Parses and checks a whole safetensors image.</summary>
    /// <param name="bytes">The file's bytes.</param>
    /// <param name="sourceName">The name used in error messages.</param>
    /// <exception cref="ReluFastDataException">The bytes are not a valid safetensors file.</exception>
    public static SafeTensorsFile Parse(ReadOnlySpan<byte> bytes, string? sourceName)
    {
        if (bytes.Length < 8)
            throw new ReluFastDataException(sourceName, "not a safetensors file: it is shorter than the 8-byte header length.");
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (n > MaxHeaderLength)
            throw new ReluFastDataException(sourceName,
                $"not a safetensors file (or corrupt): the header length {n} is over the {MaxHeaderLength}-byte limit.");
        if (8 + (long)n > bytes.Length)
            throw new ReluFastDataException(sourceName,
                $"the safetensors file is truncated: the header is {n} bytes long but the file has only {bytes.Length - 8} after the length.");
        var headerBytes = bytes.Slice(8, (int)n);
        if (headerBytes.IsEmpty || headerBytes[0] != (byte)'{')
            throw new ReluFastDataException(sourceName, "not a safetensors file: the header does not start with '{'.");
        if (!System.Text.Unicode.Utf8.IsValid(headerBytes))
            throw new ReluFastDataException(sourceName, "the safetensors header is not valid UTF-8 text.");
        var data = bytes[(8 + (int)n)..];

        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(headerBytes.ToArray());
        }
        catch (JsonException e)
        {
            throw new ReluFastDataException(sourceName, $"the safetensors header is not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new ReluFastDataException(sourceName, "the safetensors header is not a JSON object.");
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var infos = new List<(string Name, string DType, long[] Shape, long Begin, long End)>();
            foreach (var prop in root.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    if (prop.Value.ValueKind != JsonValueKind.Object)
                        throw new ReluFastDataException(sourceName, "__metadata__ must be an object of strings.");
                    foreach (var kv in prop.Value.EnumerateObject())
                    {
                        if (kv.Value.ValueKind != JsonValueKind.String)
                            throw new ReluFastDataException(sourceName,
                                $"__metadata__ value \"{kv.Name}\" is not a string (safetensors metadata maps strings to strings).");
                        metadata[kv.Name] = kv.Value.GetString()!;
                    }
                    continue;
                }
                infos.Add(TensorInfo(prop, sourceName));
            }

            infos.Sort((x, y) => x.Begin != y.Begin ? x.Begin.CompareTo(y.Begin) : x.End.CompareTo(y.End));
            long expectedBegin = 0;
            var tensors = new Dictionary<string, SafeTensor>(StringComparer.Ordinal);
            foreach (var t in infos)
            {
                if (t.Begin != expectedBegin)
                    throw new ReluFastDataException(sourceName,
                        $"tensor \"{t.Name}\" starts at byte {t.Begin} of the data but the previous tensor ends at {expectedBegin}: " +
                            "the data offsets must be contiguous.");
                int size = ItemSize(t.DType, t.Name, sourceName);
                long count = 1;
                foreach (long dim in t.Shape)
                {
                    if (dim != 0 && count > long.MaxValue / size / dim)
                        throw new ReluFastDataException(sourceName,
                            $"tensor \"{t.Name}\" has a shape [{string.Join(", ", t.Shape)}] too large to exist.");
                    count *= dim;
                }
                if (t.End - t.Begin != count * size)
                    throw new ReluFastDataException(sourceName,
                        $"tensor \"{t.Name}\" ({t.DType}, shape [{string.Join(", ", t.Shape)}]) needs {count * size} bytes " +
                            $"but its data_offsets [{t.Begin}, {t.End}] span {t.End - t.Begin}.");
                if (t.End > data.Length)
                    throw new ReluFastDataException(sourceName,
                        $"the safetensors file is truncated: tensor \"{t.Name}\" ends at byte {t.End} of the data but there are only {data.Length}.");
                var values = Convert(data[(int)t.Begin..(int)t.End], t.DType);
                tensors.Add(t.Name, new SafeTensor(t.Name, t.DType, t.Shape, values, (t.Begin, t.End)));
                expectedBegin = t.End;
            }
            if (expectedBegin != data.Length)
                throw new ReluFastDataException(sourceName,
                    $"the tensors cover {expectedBegin} bytes of data but the file holds {data.Length} after the header: " +
                        "the data offsets must cover the whole buffer.");
            return new SafeTensorsFile(tensors, metadata, (long)n);
        }
    }

    /// <summary>Reads a network written by <see cref="SafeTensorsWriter"/> (or any state dict of the same module).</summary>
    /// <exception cref="ReluFastDataException">The file is not valid, or does not hold the tensors of
    /// <c>nn.Sequential(nn.Linear(d, m), nn.ReLU(), nn.Linear(m, 1))</c>.</exception>
    public static ReluNetwork ReadNetwork(string path) => ToNetwork(Read(path), path);

    /// <summary>
    /// Builds the network from the tensors <c>0.weight</c>, <c>0.bias</c>, <c>2.weight</c>, <c>2.bias</c> and the linear weights: the metadata's
    /// (full precision) when present, else the tensor <c>linear.weight</c> when present.
    /// </summary>
    /// <exception cref="ReluFastDataException">A tensor is missing or has the wrong shape.</exception>
    public static ReluNetwork ToNetwork(SafeTensorsFile file, string? sourceName = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        SafeTensor Get(string name)
        {
            if (file.Tensors.TryGetValue(name, out var t)) return t;
            throw new ReluFastDataException(sourceName,
                $"the file has no tensor \"{name}\" (it has {string.Join(", ", file.Tensors.Keys.Order().Select(k => $"\"{k}\""))}); " +
                    "expected the state dict of nn.Sequential(nn.Linear(d, m), nn.ReLU(), nn.Linear(m, 1)).");
        }
        var w = Get("0.weight");
        if (w.Shape.Count != 2)
            throw new ReluFastDataException(sourceName, $"\"0.weight\" must be m x d, found shape [{string.Join(", ", w.Shape)}].");
        if (w.Shape[0] > int.MaxValue || w.Shape[1] > int.MaxValue || w.Shape[1] == 0)
            throw new ReluFastDataException(sourceName, $"\"0.weight\" has shape [{string.Join(", ", w.Shape)}], which is not a network's m x d.");
        int m = (int)w.Shape[0], d = (int)w.Shape[1];
        var b = Get("0.bias");
        var a = Get("2.weight");
        var c0 = Get("2.bias");
        if (b.Values.Length != m || b.Shape.Count != 1)
            throw new ReluFastDataException(sourceName,
                $"\"0.bias\" must have shape [{m}] to match \"0.weight\" [{m}, {d}], found [{string.Join(", ", b.Shape)}].");
        if (a.Shape.Count != 2 || a.Shape[0] != 1 || a.Shape[1] != m)
            throw new ReluFastDataException(sourceName, $"\"2.weight\" must have shape [1, {m}], found [{string.Join(", ", a.Shape)}].");
        if (c0.Values.Length != 1)
            throw new ReluFastDataException(sourceName, $"\"2.bias\" must have shape [1], found [{string.Join(", ", c0.Shape)}].");
        double[]? c = null;
        if (file.Metadata.TryGetValue(SafeTensorsWriter.LinearWeightsKey, out string? text))
        {
            try
            {
                c = JsonDocumentToArray(text);
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                throw new ReluFastDataException(sourceName,
                    $"__metadata__ \"{SafeTensorsWriter.LinearWeightsKey}\" is not a JSON array of numbers: {e.Message}", e);
            }
            if (c.Length != d)
                throw new ReluFastDataException(sourceName,
                    $"__metadata__ \"{SafeTensorsWriter.LinearWeightsKey}\" has {c.Length} numbers but d is {d}.");
        }
        else if (file.Tensors.TryGetValue(SafeTensorsWriter.LinearWeightsTensor, out var linear))
        {
            if (linear.Shape.Count != 2 || linear.Shape[0] != 1 || linear.Shape[1] != d)
                throw new ReluFastDataException(sourceName,
                    $"\"{SafeTensorsWriter.LinearWeightsTensor}\" must have shape [1, {d}], found [{string.Join(", ", linear.Shape)}].");
            c = linear.Values;
        }
        try
        {
            return new ReluNetwork(d, a.Values, w.Values, b.Values, c0.Values[0], c);
        }
        catch (ArgumentException e)
        {
            throw new ReluFastDataException(sourceName, $"not a valid network: {e.Message}", e);
        }
    }

    private static double[] JsonDocumentToArray(string text)
    {
        using var doc = JsonDocument.Parse(text);
        if (doc.RootElement.ValueKind != JsonValueKind.Array) throw new FormatException("not an array");
        return doc.RootElement.EnumerateArray().Select(e => e.GetDouble()).ToArray();
    }

    private static (string Name, string DType, long[] Shape, long Begin, long End) TensorInfo(JsonProperty prop, string? sourceName)
    {
        string name = prop.Name;
        var v = prop.Value;
        if (v.ValueKind != JsonValueKind.Object)
            throw new ReluFastDataException(sourceName, $"tensor \"{name}\" must be described by an object with dtype, shape and data_offsets.");
        if (!v.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String)
            throw new ReluFastDataException(sourceName, $"tensor \"{name}\" has no dtype string.");
        if (!v.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array)
            throw new ReluFastDataException(sourceName, $"tensor \"{name}\" has no shape array.");
        if (!v.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw new ReluFastDataException(sourceName, $"tensor \"{name}\" has no data_offsets [begin, end].");
        var dims = new long[shape.GetArrayLength()];
        int i = 0;
        foreach (var e in shape.EnumerateArray())
        {
            if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long dim) || dim < 0)
                throw new ReluFastDataException(sourceName,
                    $"tensor \"{name}\" has a shape entry that is not a non-negative integer: {e.GetRawText()}.");
            dims[i++] = dim;
        }
        long begin = Offset(offsets[0], name, sourceName), end = Offset(offsets[1], name, sourceName);
        if (end < begin)
            throw new ReluFastDataException(sourceName, $"tensor \"{name}\" has data_offsets [{begin}, {end}] that end before they begin.");
        return (name, dtype.GetString()!, dims, begin, end);
    }

    private static long Offset(JsonElement e, string name, string? sourceName)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long v) || v < 0)
            throw new ReluFastDataException(sourceName, $"tensor \"{name}\" has a data offset that is not a non-negative integer: {e.GetRawText()}.");
        return v;
    }

    private static int ItemSize(string dtype, string name, string? sourceName) => dtype switch
    {
        "F64" => 8,
        "F32" => 4,
        "F16" or "BF16" => 2,
        _ => throw new ReluFastDataException(sourceName,
            $"tensor \"{name}\" has dtype \"{dtype}\"; ReluFast reads floating-point tensors only (F64, F32, F16, BF16)."),
    };

    private static double[] Convert(ReadOnlySpan<byte> bytes, string dtype)
    {
        switch (dtype)
        {
            case "F64":
                return MemoryMarshal.Cast<byte, double>(bytes).ToArray();
            case "F32":
            {
                var f = MemoryMarshal.Cast<byte, float>(bytes);
                var r = new double[f.Length];
                for (int i = 0; i < f.Length; i++) r[i] = f[i];
                return r;
            }
            case "F16":
            {
                var h = MemoryMarshal.Cast<byte, Half>(bytes);
                var r = new double[h.Length];
                for (int i = 0; i < h.Length; i++) r[i] = (double)h[i];
                return r;
            }
            default: // BF16: the top 16 bits of a float32
            {
                var u = MemoryMarshal.Cast<byte, ushort>(bytes);
                var r = new double[u.Length];
                for (int i = 0; i < u.Length; i++) r[i] = BitConverter.Int32BitsToSingle(u[i] << 16);
                return r;
            }
        }
    }
}
