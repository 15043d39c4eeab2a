using System.Text;
using ReluFast.IO;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;
using ReluFast.Tests.IO;
using Xunit.Abstractions;

namespace ReluFast.Tests.Reliability;

/// <summary>
/// Every bad input of issues 8 and 18, fed to the library: each must fail with exactly the exception type it names
/// (ArgumentException or ReluFastDataException, naming the file where there is one) and a message holding its fragment,
///  or, for degenerate but readable data, return a result whose warnings hold the fragment. Set RELUFAST_BAD_INPUT_TABLE to a path to write the
/// markdown table of docs/bad-input.md.
/// </summary>
public class BadInputCatalogTests(ITestOutputHelper output)
{
    /// <summary>
    /// One bad input: <paramref name="Outcome"/> is the exact exception type expected (a subclass does not pass: an
    /// ArgumentOutOfRangeException from an indexing bug is not the ArgumentException a check throws), or "warning" for
    /// readable data that must be learned with a warning; <paramref name="Fragment"/> must appear in the message (or in
    /// the warnings), so that the case fails when the behaviour it names breaks.
    /// </summary>
    private sealed record Case(string Area, string Input, string Outcome, string Fragment, Func<TempDirectory, string> Run);

    private const string Arg = nameof(ArgumentException);
    private const string NonFinite = nameof(NonFiniteSampleException);
    private const string Magnitude = nameof(SampleMagnitudeException);
    private const string Option = nameof(LearnerOptionException);
    private const string Data = nameof(ReluFastDataException);
    private const string Warning = "warning";

    private static readonly ReluNetwork s_teacher = RandomTeacher.Create(new TeacherOptions(4, 2), 1);
    private static readonly ReluNetwork s_teacher2 = RandomTeacher.Create(new TeacherOptions(2, 1), 1);

    private static (double[] X, double[] Y) Samples(int n, int d, int seed = 1)
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(d, Math.Min(d, 2)), (ulong)seed);
        var x = new double[n * d];
        var y = new double[n];
        new TeacherSampleSource<double>(teacher, n, (ulong)seed).Read(0, x, y);
        return (x, y);
    }

    /// <summary>Runs the learner on in-memory samples and returns the error message (or the warnings, if it succeeds).</summary>
    private static string Learn(double[] x, double[] y, int d, LearnerOptions? options = null)
    {
        var result = MomentLearner.Learn(new ArraySampleSource<double>(x, y, d), options ?? new LearnerOptions { Refine = false });
        return Warnings(result);
    }

    private static string Warnings(LearningResult result) =>
        (result.Warnings.Count == 0 ? $"(succeeds without warnings, m = {result.Hidden}" : $"(succeeds, m = {result.Hidden}")
        + $", held-out MSE / Var y = {result.HeldOutMse / result.HeldOutVariance:G2}) "
        + string.Join(" / ", result.Warnings.Select(w => w.ToString()));

    private static string WriteNpyPair(TempDirectory dir, double[] x, double[] y, int d)
    {
        NpyWriter.WriteMatrix<double>(dir.File("x.npy"), x, y.Length, d);
        NpyWriter.WriteVector<double>(dir.File("y.npy"), y);
        return dir.File("x.npy");
    }

    private static string OpenNpy(TempDirectory dir)
    {
        using var source = NpySampleSource<double>.Open(dir.File("x.npy"), dir.File("y.npy"));
        source.Validate();
        return MomentLearner.Learn(source, new LearnerOptions { Refine = false }).Hidden.ToString();
    }

    private static byte[] NpyHeaderWith(string dict)
    {
        // Version 1.0 header padded to a multiple of 64 bytes, followed by 16 bytes of data.
        string text = dict;
        int total = 10 + text.Length + 1;
        text += new string(' ', (64 - total % 64) % 64) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange("NUMPY"u8.ToArray());
        bytes.AddRange(new byte[] { 1, 0, (byte)(text.Length & 0xFF), (byte)(text.Length >> 8) });
        bytes.AddRange(Encoding.ASCII.GetBytes(text));
        bytes.AddRange(new byte[16]);
        return bytes.ToArray();
    }

    private static IEnumerable<Case> Cases()
    {
        // --- values ---
        yield return new("values", "NaN in x (first rows, in memory)", NonFinite, "Sample 5 has a non-finite x[2] (NaN)", _ =>
        {
            var (x, y) = Samples(20_000, 4);
            x[5 * 4 + 2] = double.NaN;
            return Learn(x, y, 4);
        });
        yield return new("values", "+infinity in y (first rows, in memory)", NonFinite, "Sample 7 has a non-finite y (Infinity)", _ =>
        {
            var (x, y) = Samples(20_000, 4);
            y[7] = double.PositiveInfinity;
            return Learn(x, y, 4);
        });
        yield return new("values", "NaN in x after the in-memory prefix (row 190000 of 200000)", NonFinite,
            "Sample 190000 has a non-finite x[0] (NaN)", _ =>
        {
            var (x, y) = Samples(200_000, 4);
            x[190_000 * 4] = double.NaN;
            return Learn(x, y, 4);
        });
        yield return new("values", "NaN in x.npy (NpySampleSource.Validate)", Data, "x.npy: row 123 (0-based), column 1 holds NaN", dir =>
        {
            var (x, y) = Samples(20_000, 4);
            x[123 * 4 + 1] = double.NaN;
            WriteNpyPair(dir, x, y, 4);
            return OpenNpy(dir);
        });
        yield return new("values", "-infinity in y.npy (NpySampleSource.Validate)", Data, "y.npy: row 77 (0-based), column 0 holds -infinity", dir =>
        {
            var (x, y) = Samples(20_000, 4);
            y[77] = double.NegativeInfinity;
            WriteNpyPair(dir, x, y, 4);
            return OpenNpy(dir);
        });
        yield return new("values", "finite but huge y (1e300): the moments overflow", Magnitude,
            "the largest magnitude of y in the samples, and the moment estimates overflow a double", _ =>
        {
            var (x, y) = Samples(20_000, 4);
            for (int i = 0; i < y.Length; i++) y[i] *= 1e300;
            return Learn(x, y, 4);
        });
        yield return new("values", "x of 1e70 after the pilot, inputs trusted as N(0, I): only the span pass (y x^5) overflows", Magnitude,
            "Sample 15000 has x[2] = 1E+70", _ =>
        {
            var (x, y) = Samples(20_000, 4);
            x[15_000 * 4 + 2] = 1e70;
            var options = new LearnerOptions { Refine = false, Inputs = InputHandling.StandardNormal };
            return Warnings(ReluLearner.Learn(new ArraySampleSource<double>(x, y, 4), options, LearnerMode.Overcomplete));
        });
        yield return new("values", "x of 1e90 after the pilot, inputs trusted as N(0, I): the full-rank pass 2 (y x^4) overflows", Magnitude,
            "Sample 15000 has x[2] = 1E+90", _ =>
        {
            var (x, y) = Samples(20_000, 4);
            x[15_000 * 4 + 2] = 1e90;
            var options = new LearnerOptions { Refine = false, Inputs = InputHandling.StandardNormal };
            return Warnings(ReluLearner.Learn(new ArraySampleSource<double>(x, y, 4), options, LearnerMode.FullRank));
        });
        yield return new("values", "y of 1.7e308 in the pilot: its first moments (y x) overflow", Magnitude, "Sample 3 has y = 1.7E+308", _ =>
        {
            var (x, y) = Samples(20_000, 4);
            y[3] = 1.7e308;
            for (int k = 0; k < 4; k++) x[3 * 4 + k] = 3; // |y x| overflows whatever the draw
            return Learn(x, y, 4);
        });
        yield return new("values", "finite but huge x (1e200 in one coordinate): the moments overflow", Magnitude,
            "Sample 7 has x[1] = 1E+200, the largest magnitude of x", _ =>
        {
            var (x, y) = Samples(20_000, 4);
            x[7 * 4 + 1] = 1e200;
            return Learn(x, y, 4);
        });

        // --- shapes ---
        yield return new("shapes", "x.npy and y.npy with different row counts", Data, "they must have the same number of samples", dir =>
        {
            var (x, y) = Samples(2000, 4);
            NpyWriter.WriteMatrix<double>(dir.File("x.npy"), x, 2000, 4);
            NpyWriter.WriteVector<double>(dir.File("y.npy"), y.AsSpan(0, 1999));
            return OpenNpy(dir);
        });
        yield return new("shapes", "y.npy of shape (N, 2)", Data, "y must have shape (N,) or (N, 1) but it has shape (2000, 2)", dir =>
        {
            var (x, y) = Samples(2000, 4);
            NpyWriter.WriteMatrix<double>(dir.File("x.npy"), x, 2000, 4);
            NpyWriter.WriteMatrix<double>(dir.File("y.npy"), y.Concat(y).ToArray(), 2000, 2);
            return OpenNpy(dir);
        });
        yield return new("shapes", "x.npy 1-D (a single input saved without reshape)", Data, "x must be a 2-D array", dir =>
        {
            var (_, y) = Samples(2000, 4);
            NpyWriter.WriteVector<double>(dir.File("x.npy"), y);
            NpyWriter.WriteVector<double>(dir.File("y.npy"), y);
            return OpenNpy(dir);
        });
        yield return new("shapes", "d = 0: x.npy of shape (N, 0)", Data, "d = 0 inputs", dir =>
        {
            NpyWriter.Write<double>(dir.File("x.npy"), [], [2000, 0]);
            NpyWriter.WriteVector<double>(dir.File("y.npy"), new double[2000]);
            return OpenNpy(dir);
        });
        yield return new("shapes", "N = 0: x.npy of shape (0, 4)", Data, "there are no samples", dir =>
        {
            NpyWriter.Write<double>(dir.File("x.npy"), [], [0, 4]);
            NpyWriter.WriteVector<double>(dir.File("y.npy"), []);
            return OpenNpy(dir);
        });
        yield return new("shapes", "in memory: x length not a multiple of d", Arg, "x has 7999 values but y has 2000 samples of dimension 4", _ =>
        {
            var (x, y) = Samples(2000, 4);
            return new ArraySampleSource<double>(x.AsMemory(0, x.Length - 1), y, 4).Count.ToString();
        });
        yield return new("shapes", "in memory: d = 0", Arg, "The input dimension must be positive, got 0", _ =>
            new ArraySampleSource<double>(Array.Empty<double>(), new double[10], 0).Count.ToString());

        // --- sample counts and options ---
        yield return new("learner", "too few samples (N = 999 < max(1000, 2 d^2))", Arg, "too few samples: 999 given", _ =>
        {
            var (x, y) = Samples(999, 4);
            return Learn(x, y, 4);
        });
        yield return new("learner", "too few samples for d = 40 (N = 3000 < 2 d^2 = 3200)", Arg,
            "too few samples: 3000 given, the learner needs at least 3200", _ =>
        {
            var (x, y) = Samples(3000, 40);
            return Learn(x, y, 40);
        });
        yield return new("learner", "--hidden above d (m = 5, d = 4)", Option, "m = 5 > d = 4", _ =>
        {
            var (x, y) = Samples(20_000, 4);
            return Learn(x, y, 4, new LearnerOptions { Hidden = 5 });
        });
        yield return new("learner", "--hidden 0", Option, "the number of hidden neurons must be positive, got 0", _ =>
        {
            var (x, y) = Samples(20_000, 4);
            return Learn(x, y, 4, new LearnerOptions { Hidden = 0 });
        });
        yield return new("learner", "threads = -1", Option, "Threads must be 0 (all processors) or 1 to 1024, got -1", _ =>
        {
            var (x, y) = Samples(20_000, 4);
            return Learn(x, y, 4, new LearnerOptions { Threads = -1 });
        });
        yield return new("learner", "threads = 100000", Option, "Threads must be 0 (all processors) or 1 to 1024, got 100000", _ =>
        {
            var (x, y) = Samples(20_000, 4);
            return Learn(x, y, 4, new LearnerOptions { Threads = 100_000 });
        });

        // --- degenerate teachers (readable data: warnings, not errors) ---
        yield return new("teacher", "two equal w_i (m = 3 given, d = 6)", Warning, "are nearly parallel", _ =>
        {
            var w = new double[3 * 6];
            w[0] = 1; w[6] = 1; w[12 + 2] = 1;
            var teacher = new ReluNetwork(6, [1.0, 0.7, -0.9], w, [0.2, -0.4, 0.1]);
            var source = new TeacherSampleSource<double>(teacher, 400_000, 3);
            return Warnings(MomentLearner.Learn(source, new LearnerOptions { Hidden = 3, Seed = 3 }));
        });
        // T_2 counts two directions; the residual round finds the third neuron (same w, other kink) and the fit is exact, so the
        // warning is the parallel pair's, not unexplained variance (as it was before the residual rounds)
        yield return new("teacher", "two equal w_i (m chosen from the spectrum)", Warning, "are nearly parallel", _ =>
        {
            var w = new double[3 * 6];
            w[0] = 1; w[6] = 1; w[12 + 2] = 1;
            var teacher = new ReluNetwork(6, [1.0, 0.7, -0.9], w, [0.2, -0.4, 0.1]);
            var source = new TeacherSampleSource<double>(teacher, 400_000, 3);
            return Warnings(MomentLearner.Learn(source, new LearnerOptions { Seed = 3 }));
        });
        yield return new("teacher", "a_i = 0 for one neuron (m = 3 given)", Warning, "eigenvalue 3 of T_2", _ =>
        {
            var w = new double[3 * 6];
            w[0] = 1; w[6 + 1] = 1; w[12 + 2] = 1;
            var teacher = new ReluNetwork(6, [1.0, 0.0, -0.9], w, [0.2, -0.4, 0.1]);
            var source = new TeacherSampleSource<double>(teacher, 400_000, 3);
            return Warnings(MomentLearner.Learn(source, new LearnerOptions { Hidden = 3, Refine = false, Seed = 3 }));
        });
        yield return new("teacher", "all a_i = 0 (y = 0)", Warning, "no eigenvalue of T_2 stands above the noise floor", _ =>
        {
            var (x, _) = Samples(20_000, 4);
            return Learn(x, new double[20_000], 4);
        });

        // --- .npy files ---
        yield return new("npy", "truncated data (last 100 bytes cut)", Data, "truncated: its header says float64 (2000, 4)", dir =>
        {
            var (x, y) = Samples(2000, 4);
            WriteNpyPair(dir, x, y, 4);
            var bytes = File.ReadAllBytes(dir.File("x.npy"));
            File.WriteAllBytes(dir.File("x.npy"), bytes[..^100]);
            return OpenNpy(dir);
        });
        yield return new("npy", "truncated header", Data, "truncated: it ends in the header", dir =>
        {
            var (x, y) = Samples(2000, 4);
            WriteNpyPair(dir, x, y, 4);
            File.WriteAllBytes(dir.File("x.npy"), File.ReadAllBytes(dir.File("x.npy"))[..40]);
            return OpenNpy(dir);
        });
        yield return new("npy", "not an npy file (CSV text renamed)", Data, "does not start with the magic bytes", dir =>
        {
            File.WriteAllText(dir.File("x.npy"), "x0,x1,y\n1,2,3\n");
            NpyWriter.WriteVector<double>(dir.File("y.npy"), [1.0]);
            return OpenNpy(dir);
        });
        yield return new("npy", "corrupt header dictionary", Data, "the .npy header is garbled", dir =>
        {
            File.WriteAllBytes(dir.File("x.npy"), NpyHeaderWith("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 1, }"));
            NpyWriter.WriteVector<double>(dir.File("y.npy"), [1.0, 2.0]);
            return OpenNpy(dir);
        });
        foreach (string descr in new[] { "<i8", ">f8", "<c16", "<f2", "|S8" })
        {
            yield return new("npy", $"wrong dtype '{descr}'", Data, $"unsupported dtype '{descr}'", dir =>
            {
                File.WriteAllBytes(dir.File("x.npy"), NpyHeaderWith($"{{'descr': '{descr}', 'fortran_order': False, 'shape': (2, 1), }}"));
                NpyWriter.WriteVector<double>(dir.File("y.npy"), [1.0, 2.0]);
                return OpenNpy(dir);
            });
        }
        yield return new("npy", "missing file", Data, "x.npy: the file does not exist", dir =>
        {
            NpyWriter.WriteVector<double>(dir.File("y.npy"), [1.0, 2.0]);
            return OpenNpy(dir);
        });

        // --- CSV ---
        yield return new("csv", "target column missing", Data, "there is no target column 'y'", dir =>
        {
            File.WriteAllText(dir.File("s.csv"), "x0,x1,out\n1,2,3\n4,5,6\n");
            return CsvSampleReader.Load<double>(dir.File("s.csv"), "y").Count.ToString();
        });
        yield return new("csv", "non-numeric cell", Data, "data row 2, column 'x1' holds 'abc', which is not a number", dir =>
        {
            File.WriteAllText(dir.File("s.csv"), "x0,x1,y\n1,2,3\n4,abc,6\n");
            return CsvSampleReader.Load<double>(dir.File("s.csv"), "y").Count.ToString();
        });
        yield return new("csv", "row with a missing field (truncated file)", Data, "data row 2 has 2 fields but the header has 3", dir =>
        {
            File.WriteAllText(dir.File("s.csv"), "x0,x1,y\n1,2,3\n4,5");
            return CsvSampleReader.Load<double>(dir.File("s.csv"), "y").Count.ToString();
        });
        yield return new("csv", "row with an extra field", Data, "data row 2 has 4 fields but the header has 3", dir =>
        {
            File.WriteAllText(dir.File("s.csv"), "x0,x1,y\n1,2,3\n4,5,6,7\n");
            return CsvSampleReader.Load<double>(dir.File("s.csv"), "y").Count.ToString();
        });
        yield return new("csv", "empty file", Data, "the CSV file is empty", dir =>
        {
            File.WriteAllText(dir.File("s.csv"), "");
            return CsvSampleReader.Load<double>(dir.File("s.csv"), "y").Count.ToString();
        });
        yield return new("csv", "header only (no rows)", Data, "has a header but no data rows", dir =>
        {
            File.WriteAllText(dir.File("s.csv"), "x0,x1,y\n");
            return CsvSampleReader.Load<double>(dir.File("s.csv"), "y").Count.ToString();
        });
        yield return new("csv", "NaN cell", Data, "holds 'NaN', which is not a finite number", dir =>
        {
            File.WriteAllText(dir.File("s.csv"), "x0,x1,y\n1,2,3\n4,NaN,6\n");
            var source = CsvSampleReader.Load<double>(dir.File("s.csv"), "y");
            source.Validate();
            return source.Count.ToString();
        });
        yield return new("csv", "only the target column (d = 0)", Data, "so there are no inputs", dir =>
        {
            File.WriteAllText(dir.File("s.csv"), "y\n1\n2\n");
            return CsvSampleReader.Load<double>(dir.File("s.csv"), "y").Count.ToString();
        });

        // --- network JSON ---
        string valid = NetworkJson.ToJson(s_teacher);
        yield return new("json", "truncated document", Data, "n.json: not valid JSON at line", dir =>
        {
            File.WriteAllText(dir.File("n.json"), valid[..(valid.Length / 2)]);
            return NetworkJson.Read(dir.File("n.json")).Hidden.ToString();
        });
        yield return new("json", "not JSON at all", Data, "'h' is an invalid start of a value", dir =>
        {
            File.WriteAllText(dir.File("n.json"), "hello");
            return NetworkJson.Read(dir.File("n.json")).Hidden.ToString();
        });
        yield return new("json", "empty file", Data, "does not contain any JSON tokens", dir =>
        {
            File.WriteAllText(dir.File("n.json"), "");
            return NetworkJson.Read(dir.File("n.json")).Hidden.ToString();
        });
        yield return new("json", "a field missing (\"b\" removed)", Data, "the network has no \"b\" field", dir =>
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(valid)!.AsObject();
            node.Remove("b");
            File.WriteAllText(dir.File("n.json"), node.ToJsonString());
            return NetworkJson.Read(dir.File("n.json")).Hidden.ToString();
        });
        yield return new("json", "W with a row too short", Data, "w[0] has 3 numbers but inputDim is 4", dir =>
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(valid)!.AsObject();
            var w = node["w"] ?? node["W"];
            if (w is System.Text.Json.Nodes.JsonArray rows && rows[0] is System.Text.Json.Nodes.JsonArray row) row.RemoveAt(0);
            File.WriteAllText(dir.File("n.json"), node.ToJsonString());
            return NetworkJson.Read(dir.File("n.json")).Hidden.ToString();
        });
        yield return new("json", "a string where a number belongs", Data, "a[0] must be a number, found the string \"one\"", dir =>
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(valid)!.AsObject();
            node["a"]!.AsArray()[0] = "one";
            File.WriteAllText(dir.File("n.json"), node.ToJsonString());
            return NetworkJson.Read(dir.File("n.json")).Hidden.ToString();
        });
        yield return new("json", "NaN literal in a", Data, "NaN and Infinity are not JSON numbers", dir =>
        {
            File.WriteAllText(dir.File("n.json"), System.Text.RegularExpressions.Regex.Replace(valid, "\"a\"\\s*:\\s*\\[\\s*[-0-9.eE+]+",
                "\"a\": [NaN"));
            return NetworkJson.Read(dir.File("n.json")).Hidden.ToString();
        });
        yield return new("json", "missing file", Data, "n.json: the file does not exist", dir =>
            NetworkJson.Read(dir.File("n.json")).Hidden.ToString());

        // --- issue 18: corrupt archives, ambiguous CSV, unusable networks, paths ---
        yield return new("npz", "stored entry with flipped bits (CRC-32 mismatch)", Data, "CRC-32", dir =>
        {
            byte[] zip = Corpus.AdversarialCorpus.Npz(System.IO.Compression.CompressionLevel.NoCompression);
            var rng = new Random(500);
            for (int i = 0; i < 500; i++) zip[200 + rng.Next(40_000)] ^= (byte)(1 << rng.Next(8));
            File.WriteAllBytes(dir.File("s.npz"), zip);
            return NpzReader.ReadSamples<double>(dir.File("s.npz")).Count.ToString();
        });
        yield return new("npz", "entry header declaring 2147483591 elements in a 450-byte file", Data, "header says", dir =>
        {
            File.WriteAllBytes(dir.File("s.npz"), Corpus.AdversarialCorpus.NpzOf(
                ("x.npy", TestData.HandMadeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2147483591, 1), }", new byte[64])),
                ("y.npy", TestData.HandMadeNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2147483591,), }", new byte[64]))));
            return NpzReader.ReadSamples<double>(dir.File("s.npz")).Count.ToString();
        });
        yield return new("npy", "a folder given as the file", Data, "this is a folder, not a file", dir =>
        {
            Directory.CreateDirectory(dir.File("x.npy"));
            NpyWriter.WriteVector<double>(dir.File("y.npy"), [1.0, 2.0]);
            return OpenNpy(dir);
        });
        yield return new("csv", "text in row 1 of an input column", Data, "data row 1, column 'x1' holds 'abc'", dir =>
        {
            File.WriteAllText(dir.File("s.csv"), "x0,x1,y\n1,abc,3\n4,5,6\n");
            return CsvSampleReader.Load<double>(dir.File("s.csv"), "y").Count.ToString();
        });
        yield return new("csv", "duplicate header names (x0,x0,y,x3,y)", Data, "names column 'x0' more than once (columns 1, 2)", dir =>
        {
            File.WriteAllText(dir.File("s.csv"), "x0,x0,y,x3,y\n1,2,3,4,5\n");
            return CsvSampleReader.Load<double>(dir.File("s.csv"), "y").Count.ToString();
        });
        yield return new("evaluate", "a zero w_i row in the model", Arg, "the model: w_1 (row 1 of w) is zero", _ =>
        {
            var zero = new ReluNetwork(2, [1.0, 1.0], [1, 0, 0, 0], [0.1, 0.2]);
            return ReluFast.Evaluation.NetworkComparison.Compare(zero, s_teacher2).TestMse.ToString();
        });
        yield return new("json", "inputDim 2^31 - 1 with no neurons and no linear weights", Data, "inputDim above 1048576 is refused", dir =>
        {
            File.WriteAllText(dir.File("n.json"), """{"inputDim":2147483647,"hidden":0,"a":[],"w":[],"b":[]}""");
            return NetworkJson.Read(dir.File("n.json")).Hidden.ToString();
        });
        yield return new("evaluate", "a w_i row of 1e300 with a = 1e10 in the teacher (a |w| overflows)", Arg, "the teacher: w_0 (row 0 of w)", _ =>
        {
            var huge = new ReluNetwork(2, [1e10], [1e300, 1e300], [0.0]);
            return ReluFast.Evaluation.NetworkComparison.Compare(s_teacher2, huge).TestMse.ToString();
        });
        yield return new("output", "output path inside a file", Data, "is a file, so it cannot hold the output", dir =>
        {
            File.WriteAllText(dir.File("f"), "");
            OutputFile.Check(Path.Combine(dir.File("f"), "model.json"));
            return "(no error)";
        });
        yield return new("output", "output file name of 220 bytes (the temporary name adds 42)", Data, "the file name is 220 bytes long", dir =>
        {
            OutputFile.Check(dir.File(new string('n', 215) + ".json"));
            return "(no error)";
        });
        yield return new("evaluate", "networks too large for the default test MSE (d = 2^20)", Arg, "too large for the default test MSE", _ =>
        {
            var wide = new ReluNetwork(1 << 20, [], [], []);
            return ReluFast.Evaluation.NetworkComparison.DefaultTestSamples(wide, wide).ToString();
        });
    }

    [Fact]
    public void EveryBadInputGivesAClearErrorOrAWarning()
    {
        var rows = new List<string>();
        var failures = new List<string>();
        foreach (var c in Cases())
        {
            using var dir = new TempDirectory();
            string message, kind;
            try
            {
                message = c.Run(dir);
                kind = message.StartsWith('(') ? "result with warnings" : "no error";
                if (c.Outcome != Warning) failures.Add($"{c.Input}: expected {c.Outcome}, got a result ({message})");
            }
            catch (Exception e)
            {
                kind = e.GetType().Name;
                message = e.Message;
                if (kind != c.Outcome) failures.Add($"{c.Input}: expected {c.Outcome}, got {kind}: {message}");
                if (e is ReluFastDataException && !message.Contains(dir.Path, StringComparison.Ordinal))
                    failures.Add($"{c.Input}: the message does not name the file ({message})");
            }
            if (!message.Contains(c.Fragment, StringComparison.Ordinal))
            {
                string what = kind == "result with warnings" ? "warnings do" : "message does";
                failures.Add($"{c.Input}: the {what} not say \"{c.Fragment}\" ({message})");
            }
            if (message.Contains("   at ", StringComparison.Ordinal)) failures.Add($"{c.Input}: a stack trace in the message");
            string shown = message.Replace(dir.Path + Path.DirectorySeparatorChar, "").Replace(dir.Path, ".").Replace("|", "\\|").Replace("\n", " ");
            rows.Add($"| {c.Area} | {c.Input} | {kind} | {shown} |");
        }
        var table = new StringBuilder();
        table.AppendLine("| area | input | outcome | message |");
        table.AppendLine("|---|---|---|---|");
        foreach (string row in rows) table.AppendLine(row);
        output.WriteLine(table.ToString());
        if (Environment.GetEnvironmentVariable("RELUFAST_BAD_INPUT_TABLE") is { Length: > 0 } path) File.WriteAllText(path, table.ToString());
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }
}
