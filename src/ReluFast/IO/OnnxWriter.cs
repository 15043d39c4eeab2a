using System.Buffers.Binary;
using System.Text;
using ReluFast.Model;

namespace ReluFast.IO;

/// <summary>
/// Writes a <see cref="ReluNetwork"/>, linear remainder included, as a standard ONNX model (IR version 7, default-domain opset 13) that
/// ONNX Runtime, onnx.checker and PyTorch's onnx2torch load as is:
/// <code>
/// x [batch, d] -> Gemm(x, W, b, transB=1) -> Relu -> Gemm(., a, c0, transB=1) -> Add(., Gemm(x, c, transB=1)) -> y [batch, 1]
/// </code>
/// Initializers: <c>W</c> (m x d, row i is w_i), <c>b</c> (m), <c>a</c> (1 x m), <c>c0</c> (1), <c>c</c> (1 x d). Input <c>x</c> and output
/// <c>y</c> are float64 by default (the network exactly) or float32. The protobuf messages (ModelProto, GraphProto, NodeProto,
/// TensorProto, ValueInfoProto) are encoded here, field numbers from onnx/onnx.proto.
/// </summary>
public static class OnnxWriter
{
    /// <summary>The ONNX opset of the default domain the graph uses.</summary>
    public const int Opset = 13;

    /// <summary>The ONNX IR version written (the one that introduced opset 13).</summary>
    public const long IrVersion = 7;

    /// <summary>Name of the graph's input, [batch, d].</summary>
    public const string InputName = "x";

    /// <summary>Name of the graph's output, [batch, 1].</summary>
    public const string OutputName = "y";

    private const int FloatType = 1, DoubleType = 11; // TensorProto.DataType

    /// <summary>Writes <paramref name="network"/> to <paramref name="path"/> (replaced only once fully written).</summary>
    /// <param name="network">The network.</param>
    /// <param name="path">The file.</param>
    /// <param name="doublePrecision">float64 input, parameters and output (default) or float32.</param>
    /// <param name="metadata">Strings for the model's metadata_props.</param>
    public static void Write(ReluNetwork network, string path, bool doublePrecision = true, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        using var file = new AtomicFile(path);
        file.Stream.Write(ToBytes(network, doublePrecision, metadata));
        file.Commit();
    }

    /// <summary>The ONNX model's bytes.</summary>
    /// <exception cref="ArgumentException">A parameter overflows float32 when <paramref name="doublePrecision"/> is false.</exception>
    public static byte[] ToBytes(ReluNetwork network, bool doublePrecision = true, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(network);
        int d = network.InputDim, m = network.Hidden;
        int type = doublePrecision ? DoubleType : FloatType;
        var graph = new ProtoWriter();
        graph.Message(1, Node(["x", "W", "b"], "hidden", "Gemm", transB: true));
        graph.Message(1, Node(["hidden"], "active", "Relu", transB: false));
        graph.Message(1, Node(["active", "a", "c0"], "network", "Gemm", transB: true));
        graph.Message(1, Node(["x", "c"], "linear", "Gemm", transB: true));
        graph.Message(1, Node(["network", "linear"], OutputName, "Add", transB: false));
        graph.String(2, "relufast");
        graph.Message(5, Tensor("W", [m, d], network.W, doublePrecision));
        graph.Message(5, Tensor("b", [m], network.B, doublePrecision));
        graph.Message(5, Tensor("a", [1, m], network.A, doublePrecision));
        graph.Message(5, Tensor("c0", [1], [network.LinearBias], doublePrecision));
        graph.Message(5, Tensor("c", [1, d], network.LinearWeights, doublePrecision));
        graph.Message(11, ValueInfo(InputName, type, ("batch", 0), (null, d)));
        graph.Message(12, ValueInfo(OutputName, type, ("batch", 0), (null, 1)));

        var model = new ProtoWriter();
        model.Int(1, IrVersion);
        model.String(2, "ReluFast");
        model.String(3, typeof(OnnxWriter).Assembly.GetName().Version?.ToString() ?? "");
        model.String(6, "f(x) = a^T relu(W x + b) + c0 + <c, x>");
        model.Message(7, graph);
        var opset = new ProtoWriter();
        opset.String(1, "");
        opset.Int(2, Opset);
        model.Message(8, opset);
        if (metadata is not null)
        {
            foreach (var (key, value) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                var entry = new ProtoWriter();
                entry.String(1, key);
                entry.String(2, value);
                model.Message(14, entry);
            }
        }
        return model.ToArray();
    }

    private static ProtoWriter Node(string[] inputs, string output, string op, bool transB)
    {
        var node = new ProtoWriter();
        foreach (string input in inputs) node.String(1, input);
        node.String(2, output);
        node.String(3, output);
        node.String(4, op);
        if (transB)
        {
            var attribute = new ProtoWriter();
            attribute.String(1, "transB");
            attribute.Int(3, 1);     // i
            attribute.Int(20, 2);    // type = INT
            node.Message(5, attribute);
        }
        return node;
    }

    private static ProtoWriter Tensor(string name, long[] dims, ReadOnlySpan<double> values, bool doublePrecision)
    {
        var tensor = new ProtoWriter();
        foreach (long dim in dims) tensor.Int(1, dim);
        tensor.Int(2, doublePrecision ? DoubleType : FloatType);
        tensor.String(8, name);
        byte[] raw;
        if (doublePrecision)
        {
            raw = new byte[values.Length * 8];
            for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(raw.AsSpan(8 * i), values[i]);
        }
        else
        {
            raw = new byte[values.Length * 4];
            for (int i = 0; i < values.Length; i++)
            {
                float v = (float)values[i];
                if (float.IsInfinity(v))
                    throw new ArgumentException($"{name} holds {values[i]:R}, which float32 cannot represent; write float64.", nameof(values));
                BinaryPrimitives.WriteSingleLittleEndian(raw.AsSpan(4 * i), v);
            }
        }
        tensor.Bytes(9, raw);
        return tensor;
    }

    /// <summary>A ValueInfoProto of a tensor; each dimension is symbolic (name) or fixed (value).</summary>
    private static ProtoWriter ValueInfo(string name, int elementType, params (string? Param, long Value)[] dims)
    {
        var shape = new ProtoWriter();
        foreach (var (param, value) in dims)
        {
            var dim = new ProtoWriter();
            if (param is not null) dim.String(2, param);
            else dim.Int(1, value);
            shape.Message(1, dim);
        }
        var tensorType = new ProtoWriter();
        tensorType.Int(1, elementType);
        tensorType.Message(2, shape);
        var type = new ProtoWriter();
        type.Message(1, tensorType);
        var info = new ProtoWriter();
        info.String(1, name);
        info.Message(2, type);
        return info;
    }

    /// <summary>Protocol-buffer wire format: varints (wire type 0) and length-delimited fields (wire type 2).</summary>
    internal sealed class ProtoWriter
    {
        private readonly MemoryStream _buffer = new();

        public void Int(int field, long value)
        {
            Tag(field, 0);
            Varint((ulong)value);
        }

        public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

        public void Bytes(int field, ReadOnlySpan<byte> value)
        {
            Tag(field, 2);
            Varint((ulong)value.Length);
            _buffer.Write(value);
        }

        public void Message(int field, ProtoWriter message) => Bytes(field, message._buffer.GetBuffer().AsSpan(0, (int)message._buffer.Length));

        public byte[] ToArray() => _buffer.ToArray();

        private void Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

        private void Varint(ulong value)
        {
            while (value >= 0x80)
            {
                _buffer.WriteByte((byte)(value | 0x80));
                value >>= 7;
            }
            _buffer.WriteByte((byte)value);
        }
    }
}
