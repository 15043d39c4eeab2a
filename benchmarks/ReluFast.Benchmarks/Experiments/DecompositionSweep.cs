using System.Diagnostics;
using System.Globalization;
using ReluFast.Decomposition;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// docs/decomposition.md's comparison: the random pencil, the joint diagonalisation and Auto (joint, pencil when flagged)
/// on synthetic slice stacks (<see cref="SyntheticSlices"/>: W~ from unit w_i in R^(2m), a in [-1, 1], b in [-1.5, 1.5],
/// the real c_k(b), symmetric Gaussian noise relative to B and C) for m = 8..64: success rate (worst column error below
/// 0.05), the share of columns recovered (error below 0.05), median and worst (over seeds) of the worst column
/// error, median time, and how often the result was flagged unreliable.
/// Run: dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- decomposition [seeds] [m,m,...] [backend]
/// (backend: dispatch, the default, as the learner runs it (<see cref="DenseBackend"/>); managed; torch).
/// </summary>
internal static class DecompositionSweep
{
    public static void Run(string[] args)
    {
        int seeds = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        int[] sizes = args.Length > 2
            ? args[2].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray()
            : [8, 16, 24, 32, 48, 64];
        string backend = args.Length > 3 ? args[3] : "dispatch";
        Func<double[], double[], int, DecompositionOptions, PencilResult> decompose = backend switch
        {
            "managed" => (b, c, m, o) => PencilDecomposition.DecomposeManaged(b, c, m, o),
            "torch" => (b, c, m, o) => PencilDecomposition.DecomposeTorch(b, c, m, o),
            "dispatch" => (b, c, m, o) => PencilDecomposition.Decompose(b, c, m, o),
            _ => throw new ArgumentException($"Unknown backend '{backend}' (dispatch, managed or torch)."),
        };
        TorchSharp.torch.set_num_threads(1);
        Console.WriteLine("| method | m | noise | success | columns recovered | median error | worst error | median time (s) | flagged |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (int m in sizes)
            foreach (double noise in new[] { 0, 1e-3, 1e-2 })
                foreach (var method in new[] { DecompositionMethod.Pencil, DecompositionMethod.JointDiagonalization, DecompositionMethod.Auto })
                {
                    var errors = new List<double>();
                    var times = new List<double>();
                    int flagged = 0;
                    double recovered = 0;
                    for (ulong seed = 1; seed <= (ulong)seeds; seed++)
                    {
                        var problem = SyntheticSlices.Create(m, seed, noise);
                        var clock = Stopwatch.StartNew();
                        var options = new DecompositionOptions { Method = method, Seed = seed };
                        var result = decompose(problem.Quadratic, problem.Tensor, m, options);
                        times.Add(clock.Elapsed.TotalSeconds);
                        double[] columns = problem.ColumnErrors(result.Factors);
                        errors.Add(columns.Max());
                        recovered += columns.Count(e => e < 0.05) / (double)m / seeds;
                        flagged += result.Reliable ? 0 : 1;
                    }
                    errors.Sort();
                    times.Sort();
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {method} | {m} | {noise:G2} | {errors.Count(e => e < 0.05)}/{seeds} | {recovered:P0} | {errors[seeds / 2]:E1} " +
                        $"| {errors[^1]:E1} | {times[seeds / 2]:F2} | {flagged}/{seeds} |"));
                }
    }
}
