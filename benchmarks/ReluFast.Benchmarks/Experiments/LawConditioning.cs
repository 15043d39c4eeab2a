using System.Globalization;
using ReluFast.Decomposition;
using ReluFast.Model;
using ReluFast.Moments;
using ReluFast.Sampling;

namespace ReluFast.Benchmarks.Experiments;

/// <summary>
/// What an input law N(mu, Sigma) does to a teacher in the learner's coordinates (docs/algorithm.md section 17): the
/// teacher of the gaussian-law sweep (unit w_i in x's coordinates) seen in z = M (x - mu), where neuron i has direction
/// v_i = L^T w_i / |L^T w_i|, bias (b_i + &lt;w_i, mu&gt;) / |L^T w_i| and output weight a_i |L^T w_i|. Prints, per seed, the
/// range of the scaled a_i and b_i, sigma_min of the v_i (the d-th singular value when m > d) and of svec(v_i v_i^T) (what
/// the overcomplete flattening needs), and the population eigenvalues of the flattened T_4 = sum_i a_i c_4(b_i)
/// svec(v_i v_i^T) svec(v_i v_i^T)^T by |value|: the smallest of them against the flattened noise floor of the learner's
/// log says which neurons the moments can see at a given N.
/// Run: dotnet run -c Release --project benchmarks/ReluFast.Benchmarks -- law-conditioning [seeds] [d] [m] [condition] [first seed]
/// </summary>
internal static class LawConditioning
{
    public static void Run(string[] args)
    {
        var inv = CultureInfo.InvariantCulture;
        int seeds = args.Length > 1 ? int.Parse(args[1], inv) : 5;
        int d = args.Length > 2 ? int.Parse(args[2], inv) : 8;
        int m = args.Length > 3 ? int.Parse(args[3], inv) : 16;
        double condition = args.Length > 4 ? double.Parse(args[4], inv) : 1000;
        ulong first = args.Length > 5 ? ulong.Parse(args[5], inv) : 1;
        int dim = SymmetricCoordinates.Dimension(d);
        Console.WriteLine($"## d = {d}, m = {m}, x ~ N(mu, Sigma), condition number {condition}, mu in [-1, 1] (the gaussian-law sweep's teachers)");
        Console.WriteLine("| seed | a_i \\|L^T w_i\\| | b_i in z | sigma_min(v) | sigma_min(svec v v^T) | " +
            "flattened T_4 \\|eigenvalues\\| (largest .. m-th) |");
        Console.WriteLine("|---|---|---|---|---|---|");
        for (ulong seed = first; seed < first + (ulong)seeds; seed++)
        {
            // the same teacher and law as GaussianLawSweep
            var teacher = RandomTeacher.Create(new TeacherOptions(d, m), seed);
            var law = InputDistribution.Random(d, condition, 1.0, seed + 300);
            var v = new double[m * d];
            var b = new double[m];
            var a = new double[m];
            for (int i = 0; i < m; i++)
            {
                double shift = teacher.B[i], norm = 0;
                for (int k = 0; k < d; k++) shift += teacher.W[i * d + k] * law.Mean[k];
                for (int j = 0; j < d; j++)
                {
                    double s = 0;
                    for (int k = 0; k < d; k++) s += teacher.W[i * d + k] * law.Factor[k * d + j];
                    v[i * d + j] = s;
                    norm += s * s;
                }
                norm = Math.Sqrt(norm);
                for (int j = 0; j < d; j++) v[i * d + j] /= norm;
                b[i] = shift / norm;
                a[i] = teacher.A[i] * norm;
            }
            var flat = new double[m * dim];
            var outer = new double[d * d];
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < d; j++)
                    for (int k = 0; k < d; k++) outer[j * d + k] = v[i * d + j] * v[i * d + k];
                SymmetricCoordinates.Vectorize(outer, d).CopyTo(flat.AsSpan(i * dim, dim));
            }
            var t4 = new double[dim * dim];
            for (int i = 0; i < m; i++)
            {
                double weight = a[i] * GaussianMath.ReluCoefficient(4, b[i]);
                for (int p = 0; p < dim; p++)
                    for (int q = 0; q < dim; q++) t4[p * dim + q] += weight * flat[i * dim + p] * flat[i * dim + q];
            }
            var eigen = SymmetricSpectrum.Compute(t4, dim).Values.Select(Math.Abs).OrderDescending().Take(m).ToArray();
            Console.WriteLine(string.Create(inv,
                $"| {seed} | {a.Min(Math.Abs):G3} .. {a.Max(Math.Abs):G3} | {b.Min():G3} .. {b.Max():G3} | {SigmaMin(v, m, d):G3} | " +
                $"{SigmaMin(flat, m, dim):G3} | {string.Join(", ", eigen.Select(e => e.ToString("G2", inv)))} |"));
        }
    }

    /// <summary>The least singular value of an r x c row-major matrix (the min(r, c)-th): the square root of the least eigenvalue
    /// of its smaller Gram matrix.</summary>
    private static double SigmaMin(double[] rows, int r, int c)
    {
        int k = Math.Min(r, c);
        var gram = new double[k * k];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
            {
                double s = 0;
                if (r <= c) for (int t = 0; t < c; t++) s += rows[i * c + t] * rows[j * c + t];
                else for (int t = 0; t < r; t++) s += rows[t * c + i] * rows[t * c + j];
                gram[i * k + j] = s;
            }
        return Math.Sqrt(Math.Max(0, SymmetricSpectrum.Compute(gram, k).Values.Min()));
    }
}
