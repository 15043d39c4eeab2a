using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using ReluFast.IO;
using ReluFast.Model;

namespace ReluFast.Tests.IO;

public class SafeTensorsTests
{
    private static ReluNetwork Network(bool linear) =>
        new(3, [1.5, -0.25], [0.6, 0.8, 0, 0, -1, 1e-3], [0.1, -2.5], 0.75, linear ? [0.5, -1.0 / 3, 2] : default);

    [Theory]
    [InlineData(SafeTensorsDType.F32, true)]
    [InlineData(SafeTensorsDType.F32, false)]
    [InlineData(SafeTensorsDType.F64, true)]
    [InlineData(SafeTensorsDType.F64, false)]
    public void NetworkRoundTrips(SafeTensorsDType dtype, bool linear)
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.safetensors");
        for (int seed = 0; seed < 5; seed++)
        {
            var net = seed == 0 ? Network(linear) : NetworkJsonTests.RandomNetwork(4, 3, seed, linear, extreme: dtype == SafeTensorsDType.F64);
            SafeTensorsWriter.Write(net, path, dtype);
            var back = SafeTensorsReader.ReadNetwork(path);
            Func<double, double> cast = dtype == SafeTensorsDType.F64 ? v => v : v => (float)v;
            Assert.Equal(net.InputDim, back.InputDim);
            Assert.Equal(net.A.ToArray().Select(cast), back.A.ToArray());
            Assert.Equal(net.W.ToArray().Select(cast), back.W.ToArray());
            Assert.Equal(net.B.ToArray().Select(cast), back.B.ToArray());
            Assert.Equal(cast(net.LinearBias), back.LinearBias);
            // The linear weights travel as JSON text in the metadata: exact in both dtypes.
            Assert.Equal(net.LinearWeights.ToArray(), back.LinearWeights.ToArray());
        }
    }

    [Fact]
    public void LayoutFollowsTheSpecAndPyTorchNames()
    {
        var net = Network(linear: true);
        using var ms = new MemoryStream();
        SafeTensorsWriter.Write(net, ms, SafeTensorsDType.F32);
        byte[] bytes = ms.ToArray();

        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, n % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{", header);
        int close = header.LastIndexOf('}');
        Assert.All(header[(close + 1)..], ch => Assert.Equal(' ', ch)); // padded with spaces only
        Assert.True(header.Length - close - 1 < 8);

        using var doc = JsonDocument.Parse(header);
        var root = doc.RootElement;
        var expected = new Dictionary<string, long[]>
        {
            ["0.weight"] = [2, 3], ["0.bias"] = [2], ["2.weight"] = [1, 2], ["2.bias"] = [1], ["linear.weight"] = [1, 3],
        };
        var ranges = new List<(long Begin, long End, string Name)>();
        foreach (var (name, shape) in expected)
        {
            var t = root.GetProperty(name);
            Assert.Equal("F32", t.GetProperty("dtype").GetString());
            Assert.Equal(shape, t.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()));
            var off = t.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            Assert.Equal(shape.Aggregate(1L, (p, x) => p * x) * 4, off[1] - off[0]);
            ranges.Add((off[0], off[1], name));
        }
        ranges.Sort();
        Assert.Equal(0, ranges[0].Begin);
        for (int i = 1; i < ranges.Count; i++) Assert.Equal(ranges[i - 1].End, ranges[i].Begin);
        Assert.Equal(bytes.Length - 8 - (long)n, ranges[^1].End);

        var meta = root.GetProperty("__metadata__");
        Assert.Equal("pt", meta.GetProperty("format").GetString());
        foreach (var kv in meta.EnumerateObject()) Assert.Equal(JsonValueKind.String, kv.Value.ValueKind);
        Assert.Equal("[0.5, -0.3333333333333333, 2]", meta.GetProperty(SafeTensorsWriter.LinearWeightsKey).GetString());

        // The bytes of "0.weight" are W row-major in float32: row i is w_i, as nn.Linear(d, m).weight.
        var w = root.GetProperty("0.weight").GetProperty("data_offsets")[0].GetInt32();
        var start = 8 + (int)n + w;
        Assert.Equal(0.6f, BitConverter.ToSingle(bytes, start));
        Assert.Equal(0.8f, BitConverter.ToSingle(bytes, start + 4));
        Assert.Equal(-1f, BitConverter.ToSingle(bytes, start + 16));
    }

    [Fact]
    public void F32RefusesValuesOutsideFloatRange()
    {
        var net = new ReluNetwork(1, [1], [1], [1e300]);
        var e = Assert.Throws<ArgumentException>(() => SafeTensorsWriter.Write(net, new MemoryStream(), SafeTensorsDType.F32));
        Assert.Contains("F64", e.Message);
        SafeTensorsWriter.Write(net, new MemoryStream(), SafeTensorsDType.F64);
    }

    [Fact]
    public void NoLinearWeightsNoMetadataEntry()
    {
        using var ms = new MemoryStream();
        SafeTensorsWriter.Write(Network(linear: false), ms);
        var file = SafeTensorsReader.Parse(ms.ToArray(), "m");
        Assert.False(file.Metadata.ContainsKey(SafeTensorsWriter.LinearWeightsKey));
        Assert.Equal("3", file.Metadata[SafeTensorsWriter.InputDimKey]);
        Assert.Equal(0, file.HeaderLength % 8);
    }

    [Fact]
    public void ReadsAHandMadeFileInHalfPrecisionAndAnyTensorOrder()
    {
        // Header as the Python library writes it (tensors in any order, no metadata), BF16 and F16 data.
        string header = "{\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[4,8]},\"a\":{\"dtype\":\"BF16\",\"shape\":[2]," +
            "\"data_offsets\":[0,4]}}";
        while (header.Length % 8 != 0) header += " ";
        var bytes = new List<byte>();
        bytes.AddRange(BitConverter.GetBytes((ulong)header.Length));
        bytes.AddRange(Encoding.UTF8.GetBytes(header));
        bytes.AddRange(BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(1.5f) >> 16)));
        bytes.AddRange(BitConverter.GetBytes((ushort)(BitConverter.SingleToInt32Bits(-2f) >> 16)));
        bytes.AddRange(BitConverter.GetBytes((Half)0.25));
        bytes.AddRange(BitConverter.GetBytes((Half)(-3)));
        var file = SafeTensorsReader.Parse(bytes.ToArray(), "h");
        Assert.Equal([1.5, -2], file.Tensors["a"].Values);
        Assert.Equal([0.25, -3], file.Tensors["b"].Values);
    }

    private static byte[] Image(string header, int dataBytes)
    {
        var bytes = new List<byte>();
        bytes.AddRange(BitConverter.GetBytes((ulong)Encoding.UTF8.GetByteCount(header)));
        bytes.AddRange(Encoding.UTF8.GetBytes(header));
        bytes.AddRange(new byte[dataBytes]);
        return bytes.ToArray();
    }

    [Theory]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, "truncated")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12, "cover 8 bytes")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "contiguous")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "needs 12 bytes")]
    [InlineData("{\"x\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8, "\"I64\"")]
    [InlineData("{\"x\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "data_offsets")]
    [InlineData("{\"__metadata__\":{\"k\":1},\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "not a string")]
    [InlineData("{\"x\": oops}", 0, "not valid JSON")]
    [InlineData("[1, 2]", 0, "does not start with '{'")]
    public void BadFilesNameTheProblem(string header, int dataBytes, string problem)
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad.safetensors");
        File.WriteAllBytes(path, Image(header, dataBytes));
        var e = Assert.Throws<ReluFastDataException>(() => SafeTensorsReader.Read(path));
        Assert.Equal(path, e.FilePath);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void ShortOrAbsurdFilesAreRefused()
    {
        Assert.Contains("shorter", Assert.Throws<ReluFastDataException>(() => SafeTensorsReader.Parse(new byte[5], "f")).Message);
        var huge = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(huge, ulong.MaxValue);
        Assert.Contains("limit", Assert.Throws<ReluFastDataException>(() => SafeTensorsReader.Parse(huge, "f")).Message);
        var longer = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(longer, 100);
        Assert.Contains("truncated", Assert.Throws<ReluFastDataException>(() => SafeTensorsReader.Parse(longer, "f")).Message);
    }

    [Fact]
    public void OtherStateDictsAreRefusedWithTheTensorsTheyHave()
    {
        using var dir = new TempDirectory();
        string path = dir.File("other.safetensors");
        File.WriteAllBytes(path, Image("{\"fc.weight\":{\"dtype\":\"F32\",\"shape\":[1,2],\"data_offsets\":[0,8]}}", 8));
        var e = Assert.Throws<ReluFastDataException>(() => SafeTensorsReader.ReadNetwork(path));
        Assert.Contains("no tensor \"0.weight\"", e.Message);
        Assert.Contains("\"fc.weight\"", e.Message);
    }
}
