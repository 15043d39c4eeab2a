using System.Globalization;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// Prints the learned networks' parameters in round-trip format for a few fixed (d, m, N, seed), so two builds can be
/// compared number by number (a refactor that must not change behaviour).
/// Run: dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- fingerprint &gt; before.txt
/// </summary>
internal static class LearnerFingerprint
{
    public static void Run(string[] args)
    {
        var runs = new (int, int, long, ulong)[] { (10, 5, 1_000_000, 1), (10, 5, 1_000_000, 2), (8, 16, 1_000_000, 1), (8, 16, 1_000_000, 2) };
        foreach (var (d, m, n, seed) in runs)
        {
            var teacher = RandomTeacher.Create(new TeacherOptions(d, m), seed);
            var source = new TeacherSampleSource<double>(teacher, n, seed + 1000);
            var result = ReluLearner.Learn(source, new LearnerOptions { Hidden = m, Seed = seed });
            var net = result.Network;
            Console.WriteLine($"# d={d} m={m} N={n} seed={seed}");
            Console.WriteLine("a " + Format(net.A));
            Console.WriteLine("b " + Format(net.B));
            Console.WriteLine("w " + Format(net.W));
            Console.WriteLine("c " + net.LinearBias.ToString("R", CultureInfo.InvariantCulture) + " " + Format(net.LinearWeights));
        }
    }

    private static string Format(ReadOnlySpan<double> values)
    {
        var parts = new string[values.Length];
        for (int i = 0; i < values.Length; i++) parts[i] = values[i].ToString("R", CultureInfo.InvariantCulture);
        return string.Join(' ', parts);
    }
}
