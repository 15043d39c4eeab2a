using Microsoft.ML.OnnxRuntime;
using ReluFast.IO;
using ReluFast.Model;

namespace ReluFast.Tests.IO;

/// <summary>The ONNX output evaluated by ONNX Runtime against <see cref="ReluNetwork.Evaluate(ReadOnlySpan{double}, Span{double})"/>.</summary>
public class OnnxWriterTests
{
    /// <summary>Evaluates an ONNX file on x (n x d) with ONNX Runtime (CPU).</summary>
    internal static double[] RunOnnx(string path, double[] x, int d)
    {
        using var session = new InferenceSession(path);
        Assert.Equal([OnnxWriter.InputName], session.InputMetadata.Keys.ToArray());
        Assert.Equal([OnnxWriter.OutputName], session.OutputMetadata.Keys.ToArray());
        int n = x.Length / d;
        using var input = OrtValue.CreateTensorValueFromMemory(x, [n, d]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, [OnnxWriter.InputName], [input], [OnnxWriter.OutputName]);
        Assert.Equal([n, 1L], results[0].GetTensorTypeAndShape().Shape);
        return results[0].GetTensorDataAsSpan<double>().ToArray();
    }

    [Theory]
    [InlineData(7, 4, true)]
    [InlineData(3, 9, false)]
    [InlineData(1, 1, true)]
    public void OnnxRuntimeEvaluatesTheNetworkWithItsLinearRemainder(int d, int m, bool linear)
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(d, m), seed: (ulong)(d * 31 + m));
        var rng = new Random(d + m);
        var c = Enumerable.Range(0, d).Select(_ => linear ? rng.NextDouble() - 0.5 : 0).ToArray();
        var network = new ReluNetwork(d, teacher.A, teacher.W, teacher.B, linear ? 0.37 : 0, c);
        using var dir = new TempDirectory();
        string path = dir.File("model.onnx");
        OnnxWriter.Write(network, path, metadata: new Dictionary<string, string> { ["learner"] = "test" });

        const int n = 1000;
        var x = Enumerable.Range(0, n * d).Select(_ => 3 * (rng.NextDouble() - 0.5)).ToArray();
        var expected = new double[n];
        network.Evaluate(x, expected);
        var actual = RunOnnx(path, x, d);
        for (int j = 0; j < n; j++)
            Assert.True(Math.Abs(actual[j] - expected[j]) <= 1e-12 * (1 + Math.Abs(expected[j])), $"{j}: {actual[j]} vs {expected[j]}");

        using var session = new InferenceSession(path);
        Assert.Equal("test", session.ModelMetadata.CustomMetadataMap["learner"]);
        Assert.Equal("ReluFast", session.ModelMetadata.ProducerName);
    }

    [Fact]
    public void Float32GraphsRoundTheParametersOnce()
    {
        var network = new ReluNetwork(2, [1.5, -0.5], [0.6, 0.8, 1, 0], [0.25, -1], 0.125, [0.5, -2]);
        using var dir = new TempDirectory();
        string path = dir.File("model32.onnx");
        OnnxWriter.Write(network, path, doublePrecision: false);
        using var session = new InferenceSession(path);
        using var input = OrtValue.CreateTensorValueFromMemory(new float[] { 1, 2, -3, 0.5f }, [2, 2]);
        using var runOptions = new RunOptions();
        using var results = session.Run(runOptions, ["x"], [input], ["y"]);
        var y = results[0].GetTensorDataAsSpan<float>().ToArray();
        var expected = new double[2];
        network.Evaluate(new double[] { 1, 2, -3, 0.5 }, expected);
        Assert.Equal(expected[0], y[0], 5);
        Assert.Equal(expected[1], y[1], 5);
        Assert.Throws<ArgumentException>(() => OnnxWriter.ToBytes(new ReluNetwork(1, [1e300], [1], [0]), doublePrecision: false));
    }

    [Fact]
    public void VarintsAndNestedMessagesFollowTheWireFormat()
    {
        var inner = new OnnxWriter.ProtoWriter();
        inner.Int(1, 300);
        var outer = new OnnxWriter.ProtoWriter();
        outer.String(2, "ab");
        outer.Message(7, inner);
        outer.Int(3, -1);
        // field 2 len 2 "ab"; field 7 len 3 (tag 08, varint 300 = AC 02); field 3 varint -1 as ten bytes.
        Assert.Equal(new byte[]
            {
                0x12, 2, (byte)'a', (byte)'b', 0x3A, 3, 0x08, 0xAC, 0x02, 0x18, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01
            },
            outer.ToArray());
    }
}
