using System.IO.Compression;
using System.Text;
using ReluFast.IO;
using ReluFast.Model;
using ReluFast.Sampling;
using ReluFast.Tests.IO;

namespace ReluFast.Tests.Corpus;

/// <summary>
/// One adversarial input of issue 18 (or a case found later): <see cref="Make"/> writes its files into a folder,
/// <see cref="Args"/> is the command run on them ("{dir}" stands for the folder), and the expected outcome is exit
/// code <see cref="ExitCode"/> with every fragment of <see cref="Expect"/> on standard error (exit 1) or standard
/// output (exit 0).
/// </summary>
public sealed record CorpusCase(string Name, Action<string> Make, string[] Args, int ExitCode, params string[] Expect)
{
    /// <summary>The arguments with the folder filled in.</summary>
    public string[] ArgsIn(string dir) => Args.Select(a => a.Replace("{dir}", dir, StringComparison.Ordinal)).ToArray();

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>
/// The corpus of adversarial files: every case of issue 18, as generators (a few bytes each, except where a case needs
/// size). Run by <see cref="CorpusTests"/> in CI; <see cref="CorpusFuzzTests"/> mutates its files. Set
/// RELUFAST_CORPUS_DIR to a folder to have the corpus written there for use by hand.
/// </summary>
public static class AdversarialCorpus
{
    private static void Text(string dir, string name, string text) => File.WriteAllText(Path.Combine(dir, name), text);

    private static string NetworkJsonText(int d, int m, Func<int, int, double> w, double a = 1, double b = 0.25) =>
        NetworkJson.ToJson(new ReluNetwork(d, Enumerable.Repeat(a, m).ToArray(),
            Enumerable.Range(0, m * d).Select(k => w(k / d, k % d)).ToArray(), Enumerable.Repeat(b, m).ToArray()));

    /// <summary>A valid teacher (d = 3, m = 2) beside the file under test, for commands that need two networks.</summary>
    private static void Teacher(string dir, int d = 3) =>
        NetworkJson.Write(RandomTeacher.Create(new TeacherOptions(d, Math.Min(d, 2)), 5), Path.Combine(dir, "teacher.json"));

    /// <summary>Valid samples (N = 2000, d = 3) as an .npz archive's bytes, stored (not deflated) so that bits can be flipped.</summary>
    internal static byte[] Npz(CompressionLevel level, int n = 2000, int d = 3)
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(d, 2), 5);
        var x = new double[n * d];
        var y = new double[n];
        new TeacherSampleSource<double>(teacher, n, 6).Read(0, x, y);
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data, shape) in new[] { ("x.npy", x, $"({n}, {d})"), ("y.npy", y, $"({n},)") })
            {
                using var entry = zip.CreateEntry(name, level).Open();
                entry.Write(TestData.HandMadeNpy($"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}",
                    System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan())));
            }
        }
        return memory.ToArray();
    }

    /// <summary>An .npz archive with one stored entry per (name, bytes).</summary>
    internal static byte[] NpzOf(params (string Name, byte[] Bytes)[] entries)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, bytes) in entries)
            {
                using var entry = zip.CreateEntry(name, CompressionLevel.NoCompression).Open();
                entry.Write(bytes);
            }
        }
        return memory.ToArray();
    }

    /// <summary>Offsets of a local file header's name and of the central directory's sizes of the entry named <paramref name="name"/>.</summary>
    private static int CentralEntry(byte[] zip, string name)
    {
        byte[] needle = [.. "PK\u0001\u0002"u8.ToArray()];
        for (int i = zip.Length - 46; i >= 0; i--)
            if (zip.AsSpan(i, 4).SequenceEqual(needle) && Encoding.ASCII.GetString(zip, i + 46, name.Length) == name) return i;
        throw new InvalidOperationException($"no central directory entry {name}");
    }

    /// <summary>An .npz whose x (rows x columns) and y are zeros, deflated: a few KB that inflate a thousandfold.</summary>
    private static byte[] ZerosNpz(int rows, int columns)
    {
        using var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, shape, count) in new[] { ("x.npy", $"({rows}, {columns})", (long)rows * columns), ("y.npy", $"({rows},)", rows) })
            {
                using var entry = zip.CreateEntry(name, CompressionLevel.Fastest).Open();
                entry.Write(TestData.HandMadeNpy($"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape}, }}", []));
                var zeros = new byte[1 << 20];
                for (long left = count * 8; left > 0; left -= zeros.Length) entry.Write(zeros, 0, (int)Math.Min(zeros.Length, left));
            }
        }
        return memory.ToArray();
    }

    /// <summary>x ~ N(0, I_d) and y = sum_j x_j^2 as x.npy and y.npy.</summary>
    private static void SumOfSquaresNpy(string dir, int d, int n)
    {
        var rng = new Random(50);
        var x = new double[n * d];
        for (int i = 0; i < x.Length; i++) x[i] = Normal(rng);
        var y = new double[n];
        for (int j = 0; j < n; j++)
            for (int k = 0; k < d; k++) y[j] += x[j * d + k] * x[j * d + k];
        NpyWriter.WriteMatrix<double>(Path.Combine(dir, "x.npy"), x, n, d);
        NpyWriter.WriteVector<double>(Path.Combine(dir, "y.npy"), y);
    }

    /// <summary>CSV rows x0, x1 ~ N(0, 1), y = relu((x0 + x1) / sqrt(2) - 0.2).</summary>
    private static string GaussianRows(int count, int seed)
    {
        var rng = new Random(seed);
        var text = new StringBuilder();
        for (int j = 0; j < count; j++)
        {
            double a = Normal(rng), b = Normal(rng);
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{a:R},{b:R},{Math.Max(0, (a + b) / Math.Sqrt(2) - 0.2):R}\n");
        }
        return text.ToString();
    }

    private static double Normal(Random rng) => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());

    /// <summary>Every case.</summary>
    public static IEnumerable<CorpusCase> Cases()
    {
        // --- evaluate: tiny files that ask for much work ---
        yield return new("evaluate: 59-byte network with inputDim 50000 and no neurons (a constant)",
            dir => Text(dir, "wide.json", """{"inputDim":50000,"hidden":0,"a":[],"w":[],"b":[]}"""),
            ["evaluate", "--model", "{dir}/wide.json", "--teacher", "{dir}/wide.json"], 0, "test MSE 0.00E+0");
        yield return new("evaluate: network with inputDim 600000 (int overflow of 4096 d) and no neurons",
            dir => Text(dir, "wide.json", """{"inputDim":600000,"hidden":0,"a":[],"w":[],"b":[]}"""),
            ["evaluate", "--model", "{dir}/wide.json", "--teacher", "{dir}/wide.json"], 0, "test MSE 0.00E+0");
        yield return new("evaluate: network with inputDim 2^31 - 1 and nothing of that length",
            dir => Text(dir, "wide.json", """{"inputDim":2147483647,"hidden":0,"a":[],"w":[],"b":[]}"""),
            ["evaluate", "--model", "{dir}/wide.json", "--teacher", "{dir}/wide.json"], 1, "wide.json", "inputDim", "refused");
        yield return new("evaluate: two networks of m = 8000 neurons, d = 2 (O(m^3) matching)",
            dir =>
            {
                var rng = new Random(8000);
                Text(dir, "m.json", NetworkJsonText(2, 8000, (_, _) => rng.NextDouble() - 0.5));
                Text(dir, "t.json", NetworkJsonText(2, 8000, (_, _) => rng.NextDouble() - 0.5));
            },
            ["evaluate", "--model", "{dir}/m.json", "--teacher", "{dir}/t.json"], 0, "matched greedily", "fresh samples");
        yield return new("evaluate: m = 50000 neurons, d = 1",
            dir => Text(dir, "m.json", NetworkJsonText(1, 50_000, (i, _) => i % 2 == 0 ? 1 : -1)),
            ["evaluate", "--model", "{dir}/m.json", "--teacher", "{dir}/m.json", "--quiet"], 0);

        // --- networks whose w_i cannot be normalised ---
        yield return new("evaluate: JSON network with a zero w_i row",
            dir => { Text(dir, "zero.json", NetworkJsonText(3, 2, (i, k) => i == 1 ? 0 : k + 1)); Teacher(dir); },
            ["evaluate", "--model", "{dir}/zero.json", "--teacher", "{dir}/teacher.json"], 1, "zero.json", "w_1", "is zero");
        yield return new("report: JSON teacher with a zero w_i row",
            dir => { Text(dir, "zero.json", NetworkJsonText(3, 2, (i, k) => i == 0 ? 0 : k + 1)); Teacher(dir); },
            ["report", "--teacher", "{dir}/zero.json", "--model", "{dir}/teacher.json", "--out", "{dir}/r.html"], 1, "zero.json", "w_0", "is zero");
        yield return new("evaluate: safetensors network with a zero w_i row",
            dir =>
            {
                SafeTensorsWriter.Write(new ReluNetwork(3, [1.0, 1.0], [1, 2, 3, 0, 0, 0], [0.1, 0.2]), Path.Combine(dir, "zero.safetensors"));
                Teacher(dir);
            },
            ["evaluate", "--model", "{dir}/zero.safetensors", "--teacher", "{dir}/teacher.json"], 1, "zero.safetensors", "w_1", "is zero");
        yield return new("evaluate: w_i of 1e-200 (underflows when squared): a valid network",
            dir => Text(dir, "tiny.json", NetworkJsonText(2, 1, (_, k) => k == 0 ? 1e-200 : 0, b: 0.5e-200)),
            ["evaluate", "--model", "{dir}/tiny.json", "--teacher", "{dir}/tiny.json"], 0, "test MSE 0.00E+0");
        yield return new("evaluate: w_i of 1e300 with a = 1e10 (a |w| overflows)",
            dir => { Text(dir, "huge.json", NetworkJsonText(3, 1, (_, _) => 1e300, a: 1e10)); Teacher(dir); },
            ["evaluate", "--model", "{dir}/huge.json", "--teacher", "{dir}/teacher.json"], 1, "huge.json", "w_0", "finite");

        // --- .npz archives ---
        yield return new("learn: 450-byte .npz whose entry header declares 2147483591 elements",
            dir => File.WriteAllBytes(Path.Combine(dir, "s.npz"), NpzOf(
                ("x.npy", TestData.HandMadeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2147483591, 1), }", new byte[64])),
                ("y.npy", TestData.HandMadeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2147483591,), }", new byte[64])))),
            ["learn", "--data", "{dir}/s.npz", "--out", "{dir}/o.json"], 1, "s.npz[x.npy]", "header says", "truncated");
        yield return new("learn: .npz whose zip directory declares a 3.2 GB entry in a few bytes (a bomb)",
            dir =>
            {
                byte[] zip = Npz(CompressionLevel.SmallestSize, n: 200);
                int c = CentralEntry(zip, "x.npy");
                BitConverter.GetBytes(3_200_000_000u).CopyTo(zip, c + 24); // uncompressed size
                File.WriteAllBytes(Path.Combine(dir, "s.npz"), zip);
            },
            ["learn", "--data", "{dir}/s.npz", "--out", "{dir}/o.json"], 1, "s.npz[x.npy]", "inflates from");
        yield return new("learn: .npz with 500 flipped bits in a stored entry (CRC mismatch)",
            dir =>
            {
                byte[] zip = Npz(CompressionLevel.NoCompression);
                var rng = new Random(500);
                for (int i = 0; i < 500; i++) zip[200 + rng.Next(40_000)] ^= (byte)(1 << rng.Next(8));
                File.WriteAllBytes(Path.Combine(dir, "s.npz"), zip);
            },
            ["learn", "--data", "{dir}/s.npz", "--out", "{dir}/o.json"], 1, "s.npz[x.npy]", "CRC-32");
        yield return new("learn: .npz whose deflated entry honestly inflates to 88 MB of zeros (1000 to 1, a zip bomb)",
            dir => File.WriteAllBytes(Path.Combine(dir, "s.npz"), ZerosNpz(1_100_000, 10)),
            ["learn", "--data", "{dir}/s.npz", "--out", "{dir}/o.json"], 1, "s.npz[x.npy]", "inflates from", "at most 64 to 1");
        yield return new("learn: .npz whose entry holds more bytes than its header accounts for",
            dir => File.WriteAllBytes(Path.Combine(dir, "s.npz"), NpzOf(
                ("x.npy", TestData.HandMadeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1), }", new byte[16 + 8000])),
                ("y.npy", TestData.HandMadeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", new byte[16])))),
            ["learn", "--data", "{dir}/s.npz", "--out", "{dir}/o.json"], 1, "s.npz[x.npy]", "corrupt");

        // --- CSV ---
        string rows = string.Concat(Enumerable.Range(1, 40).Select(i => $"{i * 0.01},{-i * 0.02},{i * 0.03}\n"));
        yield return new("learn: CSV with a NUL byte in row 1 of an input column",
            dir => Text(dir, "s.csv", "x0,x1,y\n0.5,\u00001.5,2\n" + rows),
            ["learn", "--csv", "{dir}/s.csv", "--target", "y", "--out", "{dir}/o.json"], 1, "s.csv", "data row 1", "'x1'", "\\u0000");
        yield return new("learn: CSV with a Unicode minus sign in row 1",
            dir => Text(dir, "s.csv", "x0,x1,y\n\u22120.5,1.5,2\n" + rows),
            ["learn", "--csv", "{dir}/s.csv", "--target", "y", "--out", "{dir}/o.json"], 1, "s.csv", "data row 1", "'x0'", "\\u2212");
        yield return new("learn: CSV with duplicate header names (x0,x0,y,x3,y)",
            dir => Text(dir, "s.csv", "x0,x0,y,x3,y\n" + string.Concat(Enumerable.Range(1, 40).Select(i =>
                $"{i},{i + 1},{i + 2},{i + 3},{i + 4}\n"))),
            ["learn", "--csv", "{dir}/s.csv", "--target", "y", "--out", "{dir}/o.json"], 1, "s.csv", "'x0' more than once", "columns 1, 2");
        yield return new("learn: CSV with a value too large for a double (1e400)",
            dir => Text(dir, "s.csv", "x0,x1,y\n1e400,1,2\n" + rows),
            ["learn", "--csv", "{dir}/s.csv", "--target", "y", "--out", "{dir}/o.json"], 1, "s.csv", "data row 1", "'x0'", "not a finite number");
        yield return new("learn: CSV with a finite x too large for the moments (1e200)",
            dir => Text(dir, "s.csv", "x0,x1,y\n" + GaussianRows(40, 1) + "1e200,1,2\n" + GaussianRows(1200, 2)),
            ["learn", "--csv", "{dir}/s.csv", "--target", "y", "--out", "{dir}/o.json"], 1, "s.csv", "row 40 (0-based), column 0",
                "1E+200", "largest magnitude of x", "overflow");
        yield return new("diagnose: CSV with a finite y too large for the moments (1e200)",
            dir => Text(dir, "s.csv", "x0,x1,y\n" + GaussianRows(40, 1) + "0.5,1,1e200\n" + GaussianRows(1200, 2)),
            ["diagnose", "--csv", "{dir}/s.csv", "--target", "y"], 1, "s.csv", "row 40 (0-based)", "largest magnitude of y", "overflow");
        yield return new("learn: CSV whose header row is longer than the row limit",
            dir => Text(dir, "s.csv", "x0," + new string('a', CsvRowReader.MaxRowChars + 10) + ",y\n1,2,3\n"),
            ["learn", "--csv", "{dir}/s.csv", "--target", "y", "--out", "{dir}/o.json"], 1, "s.csv", "longer than");
        yield return new("learn: CSV with a text column, ignored by --ignore-columns",
            dir => Text(dir, "s.csv", "id,x0,y\n" + string.Concat(Enumerable.Range(1, 40).Select(i => $"r{i},{i * 0.1},{i * 0.2}\n"))),
            ["learn", "--csv", "{dir}/s.csv", "--target", "y", "--ignore-columns", "id,x0", "--out", "{dir}/o.json"], 1, "s.csv", "no inputs");

        // --- the mode check ---
        yield return new("diagnose: x ~ N(0, I), d = 50, N = 10^5, y = sum of x_j^2 (the flattened survey on D = 1275)",
            dir => SumOfSquaresNpy(dir, 50, 100_000),
            ["diagnose", "--no-learn", "--x", "{dir}/x.npy", "--y", "{dir}/y.npy"], 0, "Mode: full-rank", "1275 > 300");
        yield return new("learn: auto on 3000 samples, fewer than one block of the span pass",
            dir => Text(dir, "s.csv", "x0,x1,y\n" + GaussianRows(3000, 3)),
            ["learn", "--csv", "{dir}/s.csv", "--target", "y", "--out", "{dir}/o.json", "--threads", "1"], 0, "Model written to");

        // --- paths ---
        yield return new("learn: a folder given as --x",
            dir => { Directory.CreateDirectory(Path.Combine(dir, "folder.npy")); File.WriteAllBytes(Path.Combine(dir, "y.npy"), []); },
            ["learn", "--x", "{dir}/folder.npy", "--y", "{dir}/y.npy", "--out", "{dir}/o.json"], 1, "folder.npy", "folder, not a file");
        yield return new("learn: --out inside a path whose parent is a file",
            dir => { Text(dir, "file", "x"); File.WriteAllBytes(Path.Combine(dir, "x.npy"), []); File.WriteAllBytes(Path.Combine(dir,
                "y.npy"), []); },
            ["learn", "--x", "{dir}/x.npy", "--y", "{dir}/y.npy", "--out", "{dir}/file/o.json"], 1, "file/o.json", "is a file");
        yield return new("learn: --out file name of 220 bytes (the temporary name adds 42)",
            dir => { File.WriteAllBytes(Path.Combine(dir, "x.npy"), []); File.WriteAllBytes(Path.Combine(dir, "y.npy"), []); },
            ["learn", "--x", "{dir}/x.npy", "--y", "{dir}/y.npy", "--out", "{dir}/" + new string('n', 215) + ".json"], 1,
                "the file name is 220 bytes");

        // --- generate ---
        yield return new("generate: --dim 600000 --samples 1",
            _ => { }, ["generate", "--dim", "600000", "--hidden", "1", "--samples", "1", "--seed", "1", "--out", "{dir}/g", "--quiet"], 0);
        yield return new("generate: --hidden 2000000000",
            _ => { }, ["generate", "--dim", "2", "--hidden", "2000000000", "--samples", "1", "--seed", "1", "--out", "{dir}/g"], 1,
                "weights", "limit");
        yield return new("generate: --samples 2^63 - 1 (more than any disk holds)",
            _ => { }, ["generate", "--dim", "1", "--hidden", "1", "--samples", "9223372036854775807", "--seed", "1", "--out", "{dir}/g"], 1,
                "GB free on the file system");
        yield return new("generate: --out inside a file",
            dir => Text(dir, "file", "x"), ["generate", "--dim", "2", "--hidden", "1", "--samples", "10", "--seed", "1", "--out", "{dir}/file/g"],
            1, "is a file");
    }

    /// <summary>Writes every case's files into one sub-folder each of <paramref name="root"/> (for runs by hand).</summary>
    public static void WriteTo(string root)
    {
        int i = 0;
        foreach (var c in Cases())
        {
            string dir = Path.Combine(root, $"{i++:D2}");
            Directory.CreateDirectory(dir);
            c.Make(dir);
            File.WriteAllText(Path.Combine(dir, "command.txt"), "relufast " + string.Join(' ', c.ArgsIn(dir)) + $"\n# expect exit {c.ExitCode}\n");
        }
    }
}
