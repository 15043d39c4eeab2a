using ReluFast.IO;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Cli.Infrastructure;

/// <summary>
/// Reads and writes networks in the format chosen by the file extension: <c>.json</c> (NetworkJson) or <c>.safetensors</c>; <c>.onnx</c>
/// (<see cref="OnnxWriter"/>, float64) is written only.
/// </summary>
internal static class ModelFiles
{
    /// <summary>Checks, before any work is done, that <paramref name="path"/> names a model file ReluFast can write.</summary>
    /// <exception cref="CliUsageException">The extension is neither .json nor .safetensors, or the path is a folder.</exception>
    /// <exception cref="ReluFastDataException">The path cannot be written (<see cref="OutputFile.Check"/>).</exception>
    public static void CheckOutputPath(string path, string option)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new CliUsageException($"{option} needs a file name.");
        if (Directory.Exists(path))
            throw new CliUsageException($"{option} {path} is a folder; give a file name ending in .json, .safetensors or .onnx.");
        if (!IsJson(path) && !IsSafeTensors(path) && !IsOnnx(path))
            throw new CliUsageException($"{option} {path}: the extension chooses the format; use .json (ReluFast network JSON), " +
                ".safetensors (PyTorch nn.Sequential state dict) or .onnx (ONNX graph).");
        OutputFile.Check(path);
    }

    /// <summary>Writes <paramref name="network"/> to <paramref name="path"/> (created folder included), replacing it only once fully
    /// written.</summary>
    public static void Write(ReluNetwork network, string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        if (IsSafeTensors(path)) SafeTensorsWriter.Write(network, path, SafeTensorsDType.F32, metadata);
        else if (IsOnnx(path)) OnnxWriter.Write(network, path, doublePrecision: true, metadata);
        else NetworkJson.Write(network, path, indented: true, metadata);
    }

    /// <summary>
    /// Reads a network to compare (evaluate, report) from a <c>.json</c> or <c>.safetensors</c> file, and checks that its
    /// w_i can be normalised to unit length (<see cref="ReluNetwork.Normalized"/>), as a comparison needs.
    /// </summary>
    /// <exception cref="ReluFastDataException">The file is missing, not a valid network, an .onnx file, or has a w_i that cannot be
    /// normalised; the message names it.</exception>
    public static ReluNetwork Read(string path)
    {
        if (IsOnnx(path))
            throw new ReluFastDataException(path, "ONNX models are written, not read, by ReluFast; give the .json or .safetensors file.");
        return Comparable(IsSafeTensors(path) ? SafeTensorsReader.ReadNetwork(path) : NetworkJson.Read(path), path);
    }

    /// <summary>
    /// <see cref="Read"/> for the true network, with the law of x that its samples came from: the one <c>relufast generate</c>
    /// recorded in a teacher.json (<see cref="GeneratedInputLaw"/>), else N(0, I) (null), and the line that names it.
    /// </summary>
    /// <exception cref="ReluFastDataException">As <see cref="Read"/>, or the recorded law is malformed.</exception>
    public static (ReluNetwork Network, InputDistribution? Law, string LawDescription) ReadTeacher(string path)
    {
        if (!IsJson(path)) return (Read(path), null, GeneratedInputLaw.StandardDescription);
        var network = Comparable(NetworkJson.Read(path, out var metadata), path);
        var (law, description) = GeneratedInputLaw.FromMetadata(metadata, network.InputDim, path);
        return (network, law, description);
    }

    private static ReluNetwork Comparable(ReluNetwork network, string path)
    {
        try
        {
            network.Normalized();
        }
        catch (InvalidOperationException e)
        {
            throw new ReluFastDataException(path, e.Message, e);
        }
        return network;
    }

    private static bool IsJson(string path) => path.EndsWith(".json", StringComparison.OrdinalIgnoreCase);

    private static bool IsOnnx(string path) => path.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase);

    private static bool IsSafeTensors(string path) => path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase);
}
