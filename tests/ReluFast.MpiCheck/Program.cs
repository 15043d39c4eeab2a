using System.Globalization;
using ReluFast.Evaluation;
using ReluFast.Interop.Mpi;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Moments;
using ReluFast.Sampling;

namespace ReluFast.MpiCheck;

/// <summary>
/// Distributed learning against one process, on the same samples: run as <c>mpirun -np K dotnet ReluFast.MpiCheck.dll
/// --ranks K [N]</c> (K &gt;= 2). It fails unless MPI reports exactly K ranks: a launcher that starts K independent one-rank
/// processes (a mismatched MPI library, a missing launcher) would otherwise compare every process with itself. Every rank
/// learns a streamed teacher (d = 8, m = 4) with <see cref="LearnerOptions.Reducer"/> = the MPI session, rank 0 also
/// learns it alone, and the two models are compared. Exit code 0 when every case agrees, 1 otherwise (on every rank).
/// </summary>
/// <remarks>
/// Checks:
/// <list type="number">
/// <item>exact sums: a weighted Gram pass over N = 2^20 samples, each rank one thread over its half, summed by
/// MPI_Allreduce, against one process with two threads. The ranks' slices are then exactly the threads' block ranges
/// and MPI adds the same two partial sums that SamplePass merges, so the states must be bit-identical.</item>
/// <item>moments only, N = 10^6, 2 threads everywhere: the sums differ by summation order only, about 1e-13 relative;
/// the statistical error (what a wrong or missing slice would change) is about 1/sqrt(N) = 1e-3. Bound: 1e-9.</item>
/// <item>refined, N = 10^6: L-BFGS from starts that differ by round-off stops at an exact fit; bound 1e-6 (the teacher
/// is matched to about 1e-9).</item>
/// </list>
/// The ranks' own models must also agree within the same bounds: they share rank 0's m, U and pencil factors, and run
/// the rest (libtorch least squares, which is not bit-reproducible from run to run, and refinement) each on its own.
/// </remarks>
internal static class Program
{
    private static int Main(string[] args)
    {
        using var mpi = MpiSession.Initialize();
        try
        {
            return Run(mpi, args);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"rank {mpi.Rank}: {e}");
            mpi.Abort(2);
            return 2;
        }
    }

    private static int Run(MpiSession mpi, string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        bool root = mpi.Rank == 0;
        if (root) Console.WriteLine($"MPI: {mpi.Flavor}, {mpi.Size} ranks, {mpi.LibraryName} ({mpi.LibraryVersion}), thread level {mpi.ThreadLevel}");
        int ranks = args.Length >= 2 && args[0] == "--ranks" && int.TryParse(args[1], NumberStyles.None, inv, out int k) ? k : -1;
        if (ranks < 2 || mpi.Size != ranks)
        {
            // Every process says so (a one-rank process has no one to tell), and every process fails.
            Console.WriteLine(ranks < 2
                ? "FAIL usage: mpirun -np K dotnet ReluFast.MpiCheck.dll --ranks K [N] with K >= 2 (the rank count the launcher was asked for)"
                : $"FAIL rank count: MPI reports {mpi.Size} rank(s), mpirun was asked for {ranks}: no reduction would be tested");
            return 1;
        }
        long n = args.Length > 2 ? long.Parse(args[2], inv) : 1_000_000;

        var teacher = RandomTeacher.Create(new TeacherOptions(8, 4), 5);
        (string Name, long N, bool Refine, int RankThreads, int SingleThreads, double Bound)[] cases =
        [
            ("moments only", n, false, 2, 2, 1e-9),
            ("refined", n, true, 2, 2, 1e-6),
        ];
        double failures = 0;
        {
            var source = new TeacherSampleSource<double>(teacher, 1L << 20, seed: 6);
            var (start, count) = (source.Count * mpi.Rank / mpi.Size, source.Count * (mpi.Rank + 1) / mpi.Size - source.Count * mpi.Rank / mpi.Size);
            var part = SamplePass.Run(source, () => new GramWorker(8), new SamplePassOptions(Threads: 1, Start: start, Count: count));
            var reduced = new double[part.Moments.StateLength];
            part.Moments.CopyState(reduced);
            mpi.AllreduceSum(reduced);
            if (root)
            {
                var whole = SamplePass.Run(source, () => new GramWorker(8), new SamplePassOptions(Threads: mpi.Size));
                var expected = new double[whole.Moments.StateLength];
                whole.Moments.CopyState(expected);
                bool ok = expected.AsSpan().SequenceEqual(reduced);
                Console.WriteLine($"{(ok ? "ok  " : "FAIL")} exact sums: weighted Gram state of {source.Count} samples, " +
                    $"{mpi.Size} ranks x 1 thread vs 1 process x {mpi.Size} threads: " +
                    $"bit-identical: {ok} (max difference {MaxRelativeDifference(reduced, expected):G3})");
                if (!ok) failures++;
            }
        }
        foreach (var c in cases)
        {
            var source = new TeacherSampleSource<double>(teacher, c.N, seed: 6);
            // pass 2 in the samples' type: the default's float32 tile sums start where each rank's slice starts (their rounding,
            // about 1e-7, moves with it; the reduction under test is the same code either way)
            var options = new LearnerOptions { Hidden = 4, Refine = c.Refine, Seed = 7, TensorPrecision = TensorPrecision.SampleType };
            var distributed = MomentLearner.Learn(source, options with { Reducer = mpi, Threads = c.RankThreads });
            double acrossRanks = SpreadAcrossRanks(mpi, Parameters(distributed));
            if (!root) continue;
            var single = MomentLearner.Learn(source, options with { Threads = c.SingleThreads });
            double diff = MaxRelativeDifference(Parameters(distributed), Parameters(single));
            bool ok = diff <= c.Bound && acrossRanks <= c.Bound;
            var cmp = NetworkComparison.Compare(distributed.Network, teacher, 100_000);
            Console.WriteLine(string.Create(inv,
                $"{(ok ? "ok  " : "FAIL")} {c.Name}: N = {c.N}, {mpi.Size} ranks x {c.RankThreads} threads vs 1 process x {c.SingleThreads}: " +
                $"max relative parameter difference {diff:G3} (bound {c.Bound:G3}), between ranks {acrossRanks:G3}; " +
                $"w-error vs teacher {cmp.WError:G3}; " +
                $"time {distributed.Timings.Total.TotalSeconds:F2} s vs {single.Timings.Total.TotalSeconds:F2} s"));
            Print("  distributed", distributed.Network);
            Print("  single     ", single.Network);
            if (!ok) failures++;
        }
        var verdict = new[] { failures };
        mpi.AllreduceSum(verdict);
        if (root) Console.WriteLine(verdict[0] == 0 ? "MPI check passed" : $"MPI check FAILED ({verdict[0]} case(s))");
        return verdict[0] == 0 ? 0 : 1;
    }

    /// <summary>Everything the learner returns that the moments determine: network, spectrum, noise floor, Hermite coefficients.</summary>
    private static double[] Parameters(LearningResult r)
    {
        var net = r.Network;
        var values = new List<double>();
        values.AddRange(net.A.ToArray());
        values.AddRange(net.W.ToArray());
        values.AddRange(net.B.ToArray());
        values.Add(net.LinearBias);
        values.AddRange(net.LinearWeights.ToArray());
        values.AddRange(r.Spectrum);
        values.Add(r.NoiseFloor);
        foreach (var l in r.HermiteCoefficients) values.AddRange(l);
        return values.ToArray();
    }

    /// <summary>max_i |a_i - b_i| / max(1, |b_i|).</summary>
    private static double MaxRelativeDifference(double[] a, double[] b)
    {
        if (a.Length != b.Length) return double.PositiveInfinity;
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]) / Math.Max(1, Math.Abs(b[i])));
        return double.IsNaN(max) ? double.PositiveInfinity : max;
    }

    /// <summary>Largest relative difference between rank 0's values and any rank's: each rank puts its values in its own slot of a
    /// sum over ranks.</summary>
    private static double SpreadAcrossRanks(IMomentReducer reducer, double[] values)
    {
        int length = values.Length, size = reducer.Size;
        var all = new double[size * length];
        values.CopyTo(all, reducer.Rank * length);
        reducer.AllreduceSum(all);
        double spread = 0;
        for (int r = 1; r < size; r++)
            spread = Math.Max(spread, MaxRelativeDifference(all.AsSpan(r * length, length).ToArray(), all.AsSpan(0, length).ToArray()));
        return spread;
    }

    private static void Print(string label, ReluNetwork net)
    {
        var inv = CultureInfo.InvariantCulture;
        Console.WriteLine($"{label} a = [{string.Join(", ", net.A.ToArray().Select(v => v.ToString("R", inv)))}]");
        Console.WriteLine($"{label} b = [{string.Join(", ", net.B.ToArray().Select(v => v.ToString("R", inv)))}]");
    }
}

/// <summary>sum y, sum y x, sum y x x^T.</summary>
internal sealed class GramWorker(int d) : IMomentWorker<double, GramWorker>
{
    public WeightedGramAccumulator<double> Moments { get; } = new(d);

    public void Accumulate(ReadOnlySpan<double> x, ReadOnlySpan<double> y) => Moments.Accumulate(x, y);

    public void Merge(GramWorker other) => Moments.Merge(other.Moments);
}
