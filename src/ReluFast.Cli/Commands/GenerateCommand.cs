using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using ReluFast.Cli.Infrastructure;
using ReluFast.IO;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Cli.Commands;

/// <summary>
/// <c>relufast generate</c>: a random teacher and N Gaussian samples of it, written as DIR/x.npy,
/// DIR/y.npy and DIR/teacher.json. Samples are generated block by block in parallel and streamed to
/// the files (constant memory, so 10^8 rows work); the files appear only when complete.
/// </summary>
internal static class GenerateCommand
{
    /// <summary>Values generated per block (one parallel work item): 4096 rows of d + 1, fewer rows for large d.</summary>
    private const int BlockValues = 4096 * 64;

    public static Command Create(CliContext context)
    {
        var dim = new Option<int>("--dim") { Description = "Input dimension d.", Required = true };
        var hidden = new Option<int>("--hidden") { Description = "Hidden neurons m of the teacher.", Required = true };
        var samples = new Option<long>("--samples") { Description = "Number of samples N.", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the teacher (its samples use seed + 1, as in relufast demo).",
            Required = true };
        var output = CommonOptions.RequiredPath("--out", "Folder to write x.npy, y.npy and teacher.json to (created if missing).");
        var biasRange = new Option<double>("--bias-range") { Description = "Teacher biases b_i are uniform in [-B, B].",
            DefaultValueFactory = _ => 1.5 };
        var dtype = new Option<string>("--dtype") { Description = "Element type of x.npy and y.npy.", DefaultValueFactory = _ => "float64" };
        dtype.AcceptOnlyFromAmong("float32", "float64");
        var noise = new Option<double>("--noise") { Description = "Standard deviation s of Gaussian label noise: y = f(x) + e, e ~ N(0, s^2) " +
            "(0: noiseless).", DefaultValueFactory = _ => 0 };
        var inputMean = new Option<double>("--input-mean")
        {
            Description = "Inputs x = mu + L g (g ~ N(0, I)): mu uniform in [-M, M]^d (0: zero mean).", DefaultValueFactory = _ => 0,
        };
        var inputCondition = new Option<double>("--input-condition")
        {
            Description = "Inputs x = mu + L g: Sigma = L L^T a random rotation of log-spaced eigenvalues from 1/sqrt(K) to sqrt(K) " +
                "(condition number K; 1: identity covariance).",
            DefaultValueFactory = _ => 1,
        };
        var quiet = CommonOptions.Quiet();
        var json = CommonOptions.Json("the files written");
        var command = new Command("generate", "Draw a random teacher network (unit w_i, a_i = +-U[0.5, 1.5], b_i = U[-B, B]) and write N samples " +
            "x ~ N(0, I_d), y = f(x) (+ noise) as DIR/x.npy (N x d), DIR/y.npy (N) and DIR/teacher.json.")
        {
            dim, hidden, samples, seed, output, biasRange, dtype, noise, inputMean, inputCondition, quiet, json,
        };
        command.SetAction(parse =>
        {
            int d = parse.GetValue(dim), m = parse.GetValue(hidden);
            long n = parse.GetValue(samples);
            ulong s = parse.GetValue(seed);
            double b = parse.GetValue(biasRange), sigma = parse.GetValue(noise);
            string folder = parse.GetValue(output)!;
            var type = parse.GetValue(dtype) == "float32" ? NpyDType.Float32 : NpyDType.Float64;
            bool asJson = parse.GetValue(json), isQuiet = parse.GetValue(quiet);
            if (d <= 0) throw new CliUsageException($"--dim must be positive, got {d}.");
            if (m <= 0) throw new CliUsageException($"--hidden must be positive, got {m}.");
            if (n <= 0) throw new CliUsageException($"--samples must be positive, got {n}.");
            if (!(b >= 0) || !double.IsFinite(b)) throw new CliUsageException($"--bias-range must be finite and non-negative, got {b}.");
            if (!(sigma >= 0) || !double.IsFinite(sigma)) throw new CliUsageException($"--noise must be finite and non-negative, got {sigma}.");
            if (File.Exists(folder)) throw new CliUsageException($"--out {folder} is a file; give a folder.");
            OutputFile.Check(Path.Combine(folder, "teacher.json"));
            CheckSpace(folder, n, d, type);
            double meanRange = parse.GetValue(inputMean), condition = parse.GetValue(inputCondition);
            if (!(meanRange >= 0) || !double.IsFinite(meanRange)) throw new CliUsageException("--input-mean must be finite and non-negative, got " +
                $"{meanRange}.");
            if (!(condition >= 1) || !double.IsFinite(condition)) throw new CliUsageException("--input-condition must be finite and >= 1, got " +
                $"{condition}.");

            ReluNetwork teacher;
            try
            {
                teacher = RandomTeacher.Create(new TeacherOptions(d, m, b), s);
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException($"--dim {d} --hidden {m}: {ErrorReporter.MessageOf(e)}");
            }
            InputDistribution? law;
            try
            {
                law = GeneratedInputLaw.Create(d, meanRange, condition, s);
            }
            catch (ArgumentException e)
            {
                throw new CliUsageException($"--input-mean / --input-condition at --dim {d}: {ErrorReporter.MessageOf(e)}");
            }
            var files = new GeneratedFiles(folder);
            var clock = Stopwatch.StartNew();
            ProgressDisplay.Run(context, !isQuiet && !asJson && context.InteractiveError, sink =>
            {
                if (type == NpyDType.Float32) Write(new TeacherSampleSource<float>(teacher, n, s + 1, sigma, law), files, type, sink,
                    context.Cancellation);
                else Write(new TeacherSampleSource<double>(teacher, n, s + 1, sigma, law), files, type, sink, context.Cancellation);
                return 0;
            });
            try
            {
                var metadata = new Dictionary<string, string>
                {
                    [GeneratedInputLaw.GeneratorKey] = GeneratedInputLaw.Generator,
                    [GeneratedInputLaw.SeedKey] = s.ToString(CultureInfo.InvariantCulture),
                    ["sampleSeed"] = (s + 1).ToString(CultureInfo.InvariantCulture),
                    ["samples"] = n.ToString(CultureInfo.InvariantCulture),
                    ["biasRange"] = b.ToString("R", CultureInfo.InvariantCulture),
                    ["noise"] = sigma.ToString("R", CultureInfo.InvariantCulture),
                    ["dtype"] = type.Name(),
                };
                foreach (var (key, value) in GeneratedInputLaw.Fields(meanRange, condition)) metadata[key] = value;
                NetworkJson.Write(teacher, files.Teacher, indented: true, metadata);
            }
            catch
            {
                files.DeleteWritten();
                throw;
            }
            clock.Stop();
            double rate = n / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            if (asJson)
            {
                context.Output.WriteLine(JsonNumbers.Object(w =>
                {
                    w.WriteString("x", files.X);
                    w.WriteString("y", files.Y);
                    w.WriteString("teacher", files.Teacher);
                    w.WriteNumber("samples", n);
                    w.WriteNumber("dim", d);
                    w.WriteNumber("hidden", m);
                    w.WriteString("dtype", type.Name());
                    w.WriteNumber("seconds", Math.Round(clock.Elapsed.TotalSeconds, 3));
                }));
            }
            else if (!isQuiet)
            {
                context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"Wrote {files.X} ({n} x {d} {type.Name()}), {files.Y} ({n}) and {files.Teacher} (d = {d}, m = {m}, b in [-{b}, {b}], " +
                    $"noise s = {sigma}) in {clock.Elapsed.TotalSeconds:F2} s ({rate / 1e6:F2} M samples/s)."));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Refuses, before any sample is drawn, a request whose files would not fit in the free space of the file system that
    /// holds <paramref name="folder"/> (N (d + 1) values: a huge --samples would otherwise run until the disk is full).
    /// </summary>
    private static void CheckSpace(string folder, long n, int d, NpyDType type)
    {
        string? existing = Path.GetFullPath(folder);
        while (existing is not null && !Directory.Exists(existing)) existing = Path.GetDirectoryName(existing);
        if (existing is null) return;
        long free;
        try
        {
            free = new DriveInfo(existing).AvailableFreeSpace;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return; // the file system does not say: the write itself will
        }
        int size = type == NpyDType.Float32 ? 4 : 8;
        double bytes = (double)n * (d + 1) * size;
        if (bytes > free)
            throw new CliUsageException(string.Create(CultureInfo.InvariantCulture,
                $"--samples {n} x (--dim {d} + 1) values of {size} bytes make {bytes / 1e9:G4} GB of x.npy and y.npy, more than the " +
                $"{free / 1e9:G4} GB free on the file system of --out {folder}."));
    }

    /// <summary>Streams every sample of <paramref name="source"/> into x.npy and y.npy,
    /// generating the next chunk while the last is written.</summary>
    private static void Write<T>(TeacherSampleSource<T> source, GeneratedFiles files, NpyDType type, IPassProgress? progress,
        CancellationToken cancellation)
        where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        int d = source.Dimension;
        long n = source.Count;
        // Block rows: 4096 for small d, fewer (at least one) for large d; buffers never larger than N rows.
        int blockRows = (int)Math.Clamp(BlockValues / (d + 1L), 1, Math.Min(4096, n));
        // About 8 M values (64 MB of doubles) per chunk, a whole number of blocks.
        int blocksPerChunk = (int)Math.Max(1, Math.Min((8L << 20) / ((long)blockRows * (d + 1)), (n + blockRows - 1) / blockRows));
        int chunkRows = (int)Math.Min((long)blocksPerChunk * blockRows, n);
        T[][] xs = [new T[(long)chunkRows * d], new T[(long)chunkRows * d]];
        T[][] ys = [new T[chunkRows], new T[chunkRows]];
        Directory.CreateDirectory(files.Folder);
        var clock = Stopwatch.StartNew();
        try
        {
            using var xw = NpyStreamWriter.Create(files.X, type, n, d);
            using var yw = NpyStreamWriter.Create(files.Y, type, n);
            Task pending = Task.CompletedTask;
            int which = 0;
            try
            {
                for (long start = 0; start < n; start += chunkRows)
                {
                    cancellation.ThrowIfCancellationRequested();
                    int rows = (int)Math.Min(chunkRows, n - start);
                    T[] x = xs[which], y = ys[which];
                    long chunkStart = start;
                    Parallel.For(0, (rows + blockRows - 1) / blockRows, new ParallelOptions { CancellationToken = cancellation }, block =>
                    {
                        int first = block * blockRows, count = Math.Min(blockRows, rows - first);
                        source.Read(chunkStart + first, x.AsSpan(first * d, count * d), y.AsSpan(first, count));
                    });
                    pending.GetAwaiter().GetResult();
                    long done = start;
                    pending = Task.Run(() =>
                    {
                        xw.WriteRows<T>(x.AsSpan(0, rows * d));
                        yw.WriteRows<T>(y.AsSpan(0, rows));
                    }, CancellationToken.None);
                    progress?.Report("generate samples", "samples", done, n, clock.Elapsed);
                    which ^= 1;
                }
            }
            catch
            {
                // Let the last write finish before the writers are disposed (and their files deleted).
                try { pending.GetAwaiter().GetResult(); } catch (IOException) { } catch (InvalidOperationException) { }
                throw;
            }
            pending.GetAwaiter().GetResult();
            cancellation.ThrowIfCancellationRequested();
            progress?.Report("generate samples", "samples", n, n, clock.Elapsed);
            xw.Complete();
            files.XWritten = true;
            yw.Complete();
            files.YWritten = true;
        }
        catch
        {
            files.DeleteWritten();
            throw;
        }
    }

    /// <summary>The three output files, and which of them are already in place (deleted again if a later step fails).</summary>
    private sealed class GeneratedFiles
    {
        private readonly bool _folderExisted;

        public GeneratedFiles(string folder)
        {
            Folder = Path.GetFullPath(folder);
            _folderExisted = Directory.Exists(Folder);
            X = Path.Combine(Folder, "x.npy");
            Y = Path.Combine(Folder, "y.npy");
            Teacher = Path.Combine(Folder, "teacher.json");
        }

        public string Folder { get; }
        public string X { get; }
        public string Y { get; }
        public string Teacher { get; }
        public bool XWritten { get; set; }
        public bool YWritten { get; set; }

        public void DeleteWritten()
        {
            try
            {
                if (XWritten) File.Delete(X);
                if (YWritten) File.Delete(Y);
                if (!_folderExisted && Directory.Exists(Folder) && !Directory.EnumerateFileSystemEntries(Folder).Any()) Directory.Delete(Folder);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }
}
