using System.Text.Json;
using ReluFast.IO;
using ReluFast.Model;

namespace ReluFast.Tests.IO;

public class NetworkJsonTests
{
    internal static ReluNetwork RandomNetwork(int d, int m, int seed, bool linear = true, bool extreme = true)
    {
        var rng = new Random(seed);
        double Next() => (rng.NextDouble() * 2 - 1) * Math.Pow(10, rng.Next(-8, 8));
        var a = Enumerable.Range(0, m).Select(_ => Next()).ToArray();
        var w = Enumerable.Range(0, m * d).Select(_ => Next()).ToArray();
        var b = Enumerable.Range(0, m).Select(_ => Next()).ToArray();
        if (m > 0) { a[0] = 0.1; b[0] = -0.0; }
        if (m > 1 && extreme) { a[1] = 1e-310; b[1] = double.MaxValue; } // subnormal and extreme values round-trip too
        return linear
            ? new ReluNetwork(d, a, w, b, Next(), Enumerable.Range(0, d).Select(_ => Next()).ToArray())
            : new ReluNetwork(d, a, w, b);
    }

    internal static void AssertSame(ReluNetwork expected, ReluNetwork actual)
    {
        Assert.Equal(expected.InputDim, actual.InputDim);
        Assert.Equal(expected.Hidden, actual.Hidden);
        Assert.Equal(expected.A.ToArray(), actual.A.ToArray());
        Assert.Equal(expected.W.ToArray(), actual.W.ToArray());
        Assert.Equal(expected.B.ToArray(), actual.B.ToArray());
        Assert.Equal(expected.LinearBias, actual.LinearBias);
        Assert.Equal(expected.LinearWeights.ToArray(), actual.LinearWeights.ToArray());
    }

    [Theory]
    [InlineData(5, 3, true, true)]
    [InlineData(5, 3, false, false)]
    [InlineData(1, 1, true, false)]
    [InlineData(4, 0, false, true)]
    public void RoundTripsEveryDoubleExactly(int d, int m, bool linear, bool indented)
    {
        using var dir = new TempDirectory();
        string path = dir.File("net.json");
        for (int seed = 0; seed < 20; seed++)
        {
            var net = RandomNetwork(d, m, seed, linear);
            NetworkJson.Write(net, path, indented);
            AssertSame(net, NetworkJson.Read(path));
            AssertSame(net, NetworkJson.Parse(NetworkJson.ToJson(net, indented)));
        }
        Assert.Equal(["net.json"], dir.Files());
    }

    [Fact]
    public void WritesTheDocumentedShape()
    {
        var net = new ReluNetwork(2, [1.5, -0.5], [1, 0, 0.6, 0.8], [0.25, -1], 0.1, [2, 3]);
        using var doc = JsonDocument.Parse(NetworkJson.ToJson(net, indented: false));
        var root = doc.RootElement;
        Assert.Equal(2, root.GetProperty("inputDim").GetInt32());
        Assert.Equal(2, root.GetProperty("hidden").GetInt32());
        Assert.Equal([1.5, -0.5], root.GetProperty("a").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal([0.6, 0.8], root.GetProperty("w")[1].EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal([0.25, -1.0], root.GetProperty("b").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal(0.1, root.GetProperty("linear").GetProperty("bias").GetDouble());
        Assert.Equal([2.0, 3.0], root.GetProperty("linear").GetProperty("weights").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Contains("\"a\":[1.5,-0.5]", NetworkJson.ToJson(net, indented: false));
    }

    [Fact]
    public void LinearMayBeAbsentAndExtraFieldsAreIgnored()
    {
        const string json = """
            {
              "name": "teacher", "seed": 42, "metadata": {"created": "today", "nested": [1, 2, {"x": null}]},
              "inputDim": 3, "hidden": 2,
              "a": [1, -1], "b": [0, 0.5],
              "w": [[1, 0, 0], [0, 1e0, 0]],
              // comments are tolerated
            }
            """;
        var net = NetworkJson.Parse(json, "t.json");
        Assert.Equal(3, net.InputDim);
        Assert.False(net.HasLinearPart);
        Assert.Equal([0.0, 1, 0], net.WeightsOf(1).ToArray());
        var net2 = NetworkJson.Parse("""{"inputDim": 1, "hidden": 1, "a": [1], "w": [[1]], "b": [0], "linear": {"bias": 2}}""");
        Assert.Equal(2, net2.LinearBias);
        Assert.Equal([0.0], net2.LinearWeights.ToArray());
    }

    [Fact]
    public void MetadataIsWrittenAndIgnoredOnRead()
    {
        var net = RandomNetwork(3, 2, 1);
        using var ms = new MemoryStream();
        NetworkJson.Write(net, ms, metadata: new Dictionary<string, string> { ["seed"] = "7" });
        string text = System.Text.Encoding.UTF8.GetString(ms.ToArray());
        Assert.Contains("\"seed\": \"7\"", text);
        AssertSame(net, NetworkJson.Parse(text));
    }

    [Fact]
    public void MetadataIsReadBackAsItsFieldsText()
    {
        var net = RandomNetwork(3, 2, 1);
        using var dir = new TempDirectory();
        string path = dir.File("teacher.json");
        NetworkJson.Write(net, path, metadata: new Dictionary<string, string> { ["seed"] = "7", ["inputCondition"] = "1000" });
        AssertSame(net, NetworkJson.Read(path, out var metadata));
        Assert.Equal(new Dictionary<string, string> { ["seed"] = "7", ["inputCondition"] = "1000" }, metadata);

        // a hand-edited file: numbers and other values come back as their JSON text, not dropped
        string text = File.ReadAllText(path).Replace("\"1000\"", "1e3", StringComparison.Ordinal);
        File.WriteAllText(path, text);
        NetworkJson.Read(path, out metadata);
        Assert.Equal("1e3", metadata["inputCondition"]);
        File.WriteAllText(path, NetworkJson.ToJson(net));
        NetworkJson.Read(path, out metadata);
        Assert.Empty(metadata);
        File.WriteAllText(path, NetworkJson.ToJson(net).TrimEnd().TrimEnd('}') + ", \"metadata\": [1]}");
        var e = Assert.Throws<ReluFastDataException>(() => NetworkJson.Read(path, out _));
        Assert.Equal(path, e.FilePath);
        Assert.Contains("metadata must be an object", e.Message);
    }

    [Theory]
    [InlineData("not json at all", "not valid JSON")]
    [InlineData("{\"inputDim\": 2,", "not valid JSON")]
    [InlineData("[1, 2]", "expected a JSON object")]
    [InlineData("""{"hidden": 1, "a": [1], "w": [[1, 2]], "b": [0]}""", "no \"inputDim\" field")]
    [InlineData("""{"inputDim": 2, "a": [1], "w": [[1, 2]], "b": [0]}""", "no \"hidden\" field")]
    [InlineData("""{"inputDim": 2, "hidden": 1, "w": [[1, 2]], "b": [0]}""", "no \"a\" field")]
    [InlineData("""{"inputDim": 2, "hidden": 1, "a": [1], "b": [0]}""", "no \"w\" field")]
    [InlineData("""{"inputDim": 2, "hidden": 1, "a": [1], "w": [[1, 2]]}""", "no \"b\" field")]
    [InlineData("""{"inputDim": 2, "hidden": 4, "a": [1,1,1,1], "w": [[1, 2],[1,2],[1,2]], "b": [0,0,0,0]}""", "w has 3 rows but hidden is 4")]
    [InlineData("""{"inputDim": 2, "hidden": 1, "a": [1, 2], "w": [[1, 2]], "b": [0]}""", "a has 2 numbers but hidden is 1")]
    [InlineData("""{"inputDim": 2, "hidden": 1, "a": [1], "w": [[1, 2, 3]], "b": [0]}""", "w[0] has 3 numbers but inputDim is 2")]
    [InlineData("""{"inputDim": 2, "hidden": 1, "a": [1], "w": [[1, 2]], "b": [0], "linear": {"weights": [1]}}""",
        "linear.weights has 1 numbers but inputDim is 2")]
    [InlineData("""{"inputDim": 2, "hidden": 1, "a": ["1"], "w": [[1, 2]], "b": [0]}""", "a[0] must be a number, found the string \"1\"")]
    [InlineData("""{"inputDim": 2, "hidden": 1, "a": [1], "w": [[1, null]], "b": [0]}""", "w[0][1] must be a number, found null")]
    [InlineData("""{"inputDim": 2, "hidden": 1, "a": [1], "w": [1], "b": [0]}""", "w[0] must be an array of 2 numbers, found the number 1")]
    [InlineData("""{"inputDim": 2, "hidden": 1, "a": [NaN], "w": [[1, 2]], "b": [0]}""", "NaN and Infinity are not JSON numbers")]
    [InlineData("""{"inputDim": 2, "hidden": 1, "a": ["NaN"], "w": [[1, 2]], "b": [0]}""", "a[0] must be a number")]
    [InlineData("""{"inputDim": 2, "hidden": 1, "a": [1e999], "w": [[1, 2]], "b": [0]}""", "a[0] = 1e999 is not a finite double")]
    [InlineData("""{"inputDim": 0, "hidden": 1, "a": [1], "w": [[]], "b": [0]}""", "inputDim must be a positive integer")]
    [InlineData("""{"inputDim": 2.5, "hidden": 1, "a": [1], "w": [[1, 2]], "b": [0]}""", "inputDim must be a positive integer, found 2.5")]
    [InlineData("""{"inputDim": 2, "hidden": -1, "a": [], "w": [], "b": []}""", "hidden must be a non-negative integer")]
    [InlineData("""{"inputDim": 2, "hidden": 1, "a": [1], "w": [[1, 2]], "b": [0], "linear": 3}""", "linear must be an object")]
    public void BadNetworksNameTheFileAndTheProblem(string json, string problem)
    {
        using var dir = new TempDirectory();
        string path = dir.File("model.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<ReluFastDataException>(() => NetworkJson.Read(path));
        Assert.Equal(path, e.FilePath);
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(problem, e.Message);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        using var dir = new TempDirectory();
        var e = Assert.Throws<ReluFastDataException>(() => NetworkJson.Read(dir.File("none.json")));
        Assert.Contains("does not exist", e.Message);
    }
}
