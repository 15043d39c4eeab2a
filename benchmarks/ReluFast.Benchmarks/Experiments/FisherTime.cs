using System.Diagnostics;
using System.Globalization;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// Time of the Fisher information of docs/algorithm.md section 18 at a random teacher (d, m) on n Gaussian inputs: the Gram of
/// the Jacobian rows (n p^2 / 2 multiply-adds) and its eigendecomposition (p^3), each timed.
/// Run: dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- fisher d,m,n [threads]
/// </summary>
internal static class FisherTime
{
    public static void Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        string[] size = (args.Length > 1 ? args[1] : "50,45,80000").Split(',');
        int d = int.Parse(size[0], inv), m = int.Parse(size[1], inv), n = (int)double.Parse(size[2], inv);
        int threads = args.Length > 2 ? int.Parse(args[2], inv) : 0;
        var network = RandomTeacher.Create(new TeacherOptions(d, m), 1).Normalized();
        var x = new double[(long)n * d];
        new CounterGaussian(2).Fill(0, x);
        int p = MseGradient.ParameterCount(m, d);
        var clock = Stopwatch.StartNew();
        var gram = FisherInformation.Gram(network, x, n, threads: threads);
        double tGram = clock.Elapsed.TotalSeconds;
        clock.Restart();
        FisherInformation.FromGram(network, gram, p, responseScale: 1); // a random teacher: f of unit scale
        double tEigen = clock.Elapsed.TotalSeconds;
        double rate = n * (double)p * p / 2 / tGram / 1e9;
        Console.WriteLine(string.Create(inv, $"d {d} m {m} n {n} p {p}, {threads} threads (0: all): Gram {tGram:F1} s " +
            $"({rate:F1} G multiply-adds/s), eigendecomposition {tEigen:F1} s"));
    }
}
