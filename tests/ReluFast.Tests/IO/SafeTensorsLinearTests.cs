using System.Diagnostics;
using System.Text.Json;
using ReluFast.IO;
using ReluFast.Model;

namespace ReluFast.Tests.IO;

/// <summary>The linear remainder as a safetensors tensor (issue 15), and the README's PyTorch snippet run where Python has torch.</summary>
public class SafeTensorsLinearTests
{
    [Fact]
    public void TheLinearWeightsAreATensorAndAreReadBackFromItWithoutMetadata()
    {
        var net = new ReluNetwork(3, [1.5, -0.5], [0.6, 0.8, 0, 1, 0, 0], [0.25, -1], 0.125, [0.5, -2, 0.75]);
        using var ms = new MemoryStream();
        SafeTensorsWriter.Write(net, ms, SafeTensorsDType.F64);
        var file = SafeTensorsReader.Parse(ms.ToArray(), "model.safetensors");
        var tensor = file.Tensors[SafeTensorsWriter.LinearWeightsTensor];
        Assert.Equal([1L, 3], tensor.Shape);
        Assert.Equal(net.LinearWeights.ToArray(), tensor.Values);

        // A file from another writer: the tensor, no metadata.
        var bare = new SafeTensorsFile(file.Tensors, new Dictionary<string, string>(), file.HeaderLength);
        Assert.Equal(net.LinearWeights.ToArray(), SafeTensorsReader.ToNetwork(bare).LinearWeights.ToArray());
    }

    [PythonTorchFact]
    public void TheReadmeSnippetLoadsTheModelInPyTorch()
    {
        string readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md")).Replace("\r\n", "\n");
        const string marker = "```python\n";
        int start = readme.IndexOf("<!-- safetensors-pytorch -->", StringComparison.Ordinal);
        Assert.True(start >= 0, "the README has no safetensors-pytorch snippet");
        start = readme.IndexOf(marker, start, StringComparison.Ordinal) + marker.Length;
        string snippet = readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)];

        var rng = new Random(5);
        int d = 5, m = 3, n = 50;
        var net = new ReluNetwork(d, [1.5, -0.5, 2], Enumerable.Range(0, m * d).Select(_ => rng.NextDouble() - 0.5).ToArray(), [0.25, -1, 0.5], 0.125,
            [0.5, -2, 0.75, 0.1, -0.3]);
        using var dir = new TempDirectory();
        SafeTensorsWriter.Write(net, dir.File("model.safetensors"));
        var x = Enumerable.Range(0, n * d).Select(_ => (double)(float)(2 * rng.NextDouble() - 1)).ToArray();
        File.WriteAllText(dir.File("x.json"), JsonSerializer.Serialize(x));
        File.WriteAllText(dir.File("run.py"), snippet + "\nimport json\n" +
            "x = torch.tensor(json.load(open('x.json')), dtype=torch.float32).reshape(-1, d)\n" +
            "print(json.dumps(f(x)[:, 0].tolist()))\n");
        var (code, output, error) = PythonTorch.Run(dir.Path, "run.py", "model.safetensors");
        Assert.True(code == 0, error);
        var y = JsonSerializer.Deserialize<double[]>(output)!;
        var expected = new double[n];
        net.Evaluate(x, expected);
        for (int j = 0; j < n; j++) Assert.True(Math.Abs(y[j] - expected[j]) < 1e-5 * (1 + Math.Abs(expected[j])), $"{j}: {y[j]} vs {expected[j]}");
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ReluFast.sln"))) return dir.FullName;
        throw new InvalidOperationException("ReluFast.sln not found above the test binaries.");
    }
}

/// <summary>A fact skipped where no python3 imports torch.</summary>


public sealed class PythonTorchFactAttribute : FactAttribute
{
    public PythonTorchFactAttribute()
    {
        if (PythonTorch.Executable is null) Skip = "no python3 with torch on this machine";
    }
}

/// <summary>
/// A python3 that imports torch. Where the safetensors package is missing (Debian packages torch but not safetensors), a minimal
/// <c>safetensors.torch.load_file</c> (F32/F64, the whole format: 8-byte length, JSON header, little-endian data) is put on PYTHONPATH.
/// </summary>
internal static class PythonTorch
{
    public static readonly string? Executable = Find();

    private const string Shim = """
        import json, struct, torch
        def load_file(path):
            data = open(path, 'rb').read()
            n = struct.unpack('<Q', data[:8])[0]
            header = json.loads(data[8:8 + n])
            header.pop('__metadata__', None)
            types = {'F32': torch.float32, 'F64': torch.float64}
            return {k: torch.frombuffer(bytearray(data[8 + n + v['data_offsets'][0]:8 + n + v['data_offsets'][1]]), dtype=types[v['dtype']])
                    .reshape(v['shape']).clone() for k, v in header.items()}
        """;

    private static string? Find()
    {
        foreach (string candidate in new[] { "python3", "/usr/bin/python3" })
        {
            try
            {
                if (Exec(candidate, Path.GetTempPath(), null, "-c", "import torch").Code == 0) return candidate;
            }
            catch (System.ComponentModel.Win32Exception)
            {
            }
        }
        return null;
    }

    public static (int Code, string Output, string Error) Run(string folder, params string[] args)
    {
        string? path = null;
        if (Exec(Executable!, folder, null, "-c", "import safetensors.torch").Code != 0)
        {
            path = Path.Combine(folder, "shim");
            Directory.CreateDirectory(Path.Combine(path, "safetensors"));
            File.WriteAllText(Path.Combine(path, "safetensors", "__init__.py"), "");
            File.WriteAllText(Path.Combine(path, "safetensors", "torch.py"), Shim);
        }
        return Exec(Executable!, folder, path, args);
    }

    private static (int Code, string Output, string Error) Exec(string exe, string folder, string? pythonPath, params string[] args)
    {
        var info = new ProcessStartInfo(exe) { WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) info.ArgumentList.Add(a);
        if (pythonPath is not null) info.Environment["PYTHONPATH"] = pythonPath;
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        string error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error);
    }
}
