using System.Numerics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using ReluFast.IO;
using ReluFast.Sampling;

namespace ReluFast.Cli.Infrastructure;

/// <summary>What an ONNX model offers as an oracle: its input and output, checked (<see cref="OnnxModelOracle.Inspect"/>).</summary>
/// <param name="Input">The input's name.</param>
/// <param name="Output">The output's name.</param>
/// <param name="Dimension">d, the input's second dimension.</param>
/// <param name="InputIsDouble">float64 input (else float32).</param>
/// <param name="OutputIsDouble">float64 output (else float32).</param>
/// <param name="OutputRank">1 ([batch]) or 2 ([batch, 1]).</param>
/// <param name="FixedBatch">The batch dimension when the model fixes it (0 when symbolic).</param>
internal sealed record OnnxSignature(string Input, string Output, int Dimension, bool InputIsDouble, bool OutputIsDouble, int OutputRank,
    int FixedBatch);

/// <summary>
/// An ONNX model evaluated by ONNX Runtime (CPU execution provider) as an <see cref="IQueryOracle{T}"/>: inputs of shape [batch, d]
/// (float or double), one output of shape [batch] or [batch, 1]. Blocks are sent as one batch (in chunks of the batch size when the
/// model fixes it);
/// <see cref="InferenceSession.Run(RunOptions, IReadOnlyCollection{string}, IReadOnlyCollection{OrtValue}, IReadOnlyCollection{string})"/>
/// is thread-safe, so the learner's workers query in parallel.
/// </summary>
internal sealed class OnnxModelOracle<T> : IQueryOracle<T>, IDisposable where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private readonly InferenceSession _session;
    private readonly OnnxSignature _signature;
    private readonly string _path;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly RunOptions _runOptions = new();

    public OnnxModelOracle(string path, InferenceSession session, OnnxSignature signature)
    {
        if (signature.InputIsDouble != (typeof(T) == typeof(double)))
            throw new ArgumentException($"The oracle's element type {typeof(T).Name} is not the model's input type.", nameof(signature));
        _path = path;
        _session = session;
        _signature = signature;
        _inputNames = [signature.Input];
        _outputNames = [signature.Output];
    }

    public int Dimension => _signature.Dimension;

    public bool IsThreadSafe => true;

    public OnnxSignature Signature => _signature;

    public void Query(ReadOnlySpan<T> x, Span<T> y)
    {
        int n = y.Length, d = Dimension;
        int batch = _signature.FixedBatch > 0 ? _signature.FixedBatch : Math.Max(n, 1);
        var input = new T[(long)batch * d];
        for (int start = 0; start < n; start += batch)
        {
            int count = Math.Min(batch, n - start);
            x.Slice(start * d, count * d).CopyTo(input);
            if (count < batch) Array.Clear(input, count * d, (batch - count) * d); // a fixed batch is padded with zeros
            using var value = OrtValue.CreateTensorValueFromMemory(input, [batch, d]);
            using var results = _session.Run(_runOptions, _inputNames, [value], _outputNames);
            var output = results[0];
            long produced = output.GetTensorTypeAndShape().ElementCount;
            if (produced != batch)
                throw new ReluFastDataException(_path,
                    $"output '{_signature.Output}' has {produced} values for a batch of {batch} inputs; expected one per input.");
            Span<T> target = y.Slice(start, count);
            if (_signature.OutputIsDouble) Copy(output.GetTensorDataAsSpan<double>()[..count], target);
            else Copy(output.GetTensorDataAsSpan<float>()[..count], target);
        }
    }

    private static void Copy<TOut>(ReadOnlySpan<TOut> source, Span<T> destination) where TOut : unmanaged, IBinaryFloatingPointIeee754<TOut>
    {
        for (int i = 0; i < source.Length; i++) destination[i] = T.CreateTruncating(source[i]);
    }

    public void Dispose()
    {
        _runOptions.Dispose();
        _session.Dispose();
    }
}

/// <summary>Opens ONNX models for <c>relufast extract</c>.</summary>
internal static class OnnxModelOracle
{
    /// <summary>
    /// Loads <paramref name="path"/> with ONNX Runtime (CPU) and checks that it is a function R^d -> R on batches; the input and output
    /// are chosen by name, or are the only ones.
    /// </summary>
    /// <exception cref="ReluFastDataException">The file is missing or not a model, or its input or output has another shape or type
    /// (named).</exception>
    public static (InferenceSession Session, OnnxSignature Signature) Open(string path, string? inputName, string? outputName)
    {
        if (!File.Exists(path)) throw new ReluFastDataException(path, "the ONNX model file does not exist.");
        InferenceSession session;
        try
        {
            var options = new SessionOptions
                { IntraOpNumThreads = 1, InterOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
            // The learner's workers run the batches in parallel (threads of their own), so one ORT thread per call.
            session = new InferenceSession(path, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new ReluFastDataException(path, $"ONNX Runtime cannot load the model: {FirstLine(e.Message)}", e);
        }
        try
        {
            return (session, Inspect(path, session.InputMetadata, session.OutputMetadata, inputName, outputName));
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>The signature of a model from its metadata, or the reason it cannot serve as an oracle.</summary>
    public static OnnxSignature Inspect(string path, IReadOnlyDictionary<string, NodeMetadata> inputs,
        IReadOnlyDictionary<string, NodeMetadata> outputs,
        string? inputName, string? outputName)
    {
        var (input, inMeta) = Choose(path, inputs, inputName, "input", "--input");
        var (output, outMeta) = Choose(path, outputs, outputName, "output", "--output");
        if (!inMeta.IsTensor || (inMeta.ElementDataType != TensorElementType.Float && inMeta.ElementDataType != TensorElementType.Double))
            throw new ReluFastDataException(path,
                $"input '{input}' is {Describe(inMeta)}; extract needs a float or double tensor of shape [batch, d].");
        int[] inShape = inMeta.Dimensions;
        if (inShape.Length != 2 || inShape[1] <= 0)
            throw new ReluFastDataException(path, $"input '{input}' has shape {Shape(inMeta)}; extract needs [batch, d] with a fixed d.");
        if (!outMeta.IsTensor || (outMeta.ElementDataType != TensorElementType.Float && outMeta.ElementDataType != TensorElementType.Double))
            throw new ReluFastDataException(path,
                $"output '{output}' is {Describe(outMeta)}; extract needs a float or double tensor of shape [batch] or [batch, 1].");
        int[] outShape = outMeta.Dimensions;
        if (outShape.Length is not (1 or 2) || (outShape.Length == 2 && outShape[1] != 1))
            throw new ReluFastDataException(path,
                $"output '{output}' has shape {Shape(outMeta)}; extract needs [batch] or [batch, 1] (one value per input).");
        if (inShape[0] > 0 && outShape[0] > 0 && inShape[0] != outShape[0])
            throw new ReluFastDataException(path,
                $"input '{input}' has shape {Shape(inMeta)} but output '{output}' has {Shape(outMeta)}: the batch sizes differ.");
        return new OnnxSignature(input, output, inShape[1], inMeta.ElementDataType == TensorElementType.Double,
            outMeta.ElementDataType == TensorElementType.Double, outShape.Length, Math.Max(inShape[0], 0));
    }

    private static (string Name, NodeMetadata Meta) Choose(string path, IReadOnlyDictionary<string, NodeMetadata> nodes, string? name,
        string kind, string option)
    {
        string names = string.Join(", ", nodes.Select(kv => $"'{kv.Key}' {Shape(kv.Value)}"));
        if (name is not null)
        {
            if (nodes.TryGetValue(name, out var meta)) return (name, meta);
            throw new ReluFastDataException(path, $"the model has no {kind} '{name}'; its {kind}s: {names}.");
        }
        if (nodes.Count != 1)
            throw new ReluFastDataException(path, $"the model has {nodes.Count} {kind}s ({names}); name the one to use with {option}.");
        var only = nodes.First();
        return (only.Key, only.Value);
    }

    private static string Describe(NodeMetadata meta) =>
        meta.IsTensor ? $"a {meta.ElementDataType} tensor of shape {Shape(meta)}" : $"a {meta.OnnxValueType} (not a tensor)";

    private static string Shape(NodeMetadata meta) =>
        !meta.IsTensor ? meta.OnnxValueType.ToString() :
        "[" + string.Join(", ", meta.Dimensions.Select((v, i) => v >= 0 ? v.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : meta.SymbolicDimensions is { Length: > 0 } s && i < s.Length && s[i].Length > 0 ? s[i] : "?")) + "]";

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
