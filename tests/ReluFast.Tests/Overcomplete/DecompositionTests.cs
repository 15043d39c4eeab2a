using System.Numerics.Tensors;
using ReluFast.Decomposition;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Moments;

namespace ReluFast.Tests.Overcomplete;

/// <summary>The slice pencil on exact data, the rank-one search in a span, the small Jacobi eigen-solver, and the flip convention.</summary>
public class DecompositionTests
{
    private static double[] RandomMatrix(Random r, int rows, int columns, bool unitColumns)
    {
        var v = new double[rows * columns];
        for (int i = 0; i < v.Length; i++) v[i] = ReluFast.Tests.Moments.MomentTestData.Gaussian(r);
        if (unitColumns)
            for (int c = 0; c < columns; c++)
            {
                double norm = 0;
                for (int i = 0; i < rows; i++) norm += v[i * columns + c] * v[i * columns + c];
                for (int i = 0; i < rows; i++) v[i * columns + c] /= Math.Sqrt(norm);
            }
        return v;
    }

    /// <summary>For every true column, the best |cosine| with a recovered column; returns the worst.</summary>
    private static double WorstMatch(double[] truth, double[] found, int rows, int k)
    {
        double worst = 1;
        for (int i = 0; i < k; i++)
        {
            double best = 0;
            for (int j = 0; j < k; j++)
            {
                double dot = 0;
                for (int r = 0; r < rows; r++) dot += truth[r * k + i] * found[r * k + j];
                best = Math.Max(best, Math.Abs(dot));
            }
            worst = Math.Min(worst, best);
        }
        return worst;
    }

    [Theory]
    [InlineData(8, 8, 3)]     // square, fewer slices than components (the overcomplete case: k > number of slices)
    [InlineData(10, 6, 5)]    // k < n: projected onto the slices' span first
    [InlineData(16, 16, 9)]   // (d, m) = (8, 16) shape: 1 + d slices of m x m
    public void SlicePencilRecoversExactFactors(int n, int k, int s)
    {
        var r = new Random(n * 100 + k);
        double[] v = RandomMatrix(r, n, k, unitColumns: true);
        double[] diagonals = RandomMatrix(r, s, k, unitColumns: false);
        var slices = new List<double[]>();
        for (int q = 0; q < s; q++)
        {
            var slice = new double[n * n];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                    for (int c = 0; c < k; c++) slice[i * n + j] += v[i * k + c] * diagonals[q * k + c] * v[j * k + c];
            slices.Add(slice);
        }
        var result = SlicePencil.Decompose(slices, n, k, trials: 16, seed: 3);
        Assert.True(WorstMatch(v, result.Factors, n, k) > 1 - 1e-8, $"worst |cos| {WorstMatch(v, result.Factors, n, k)}");
        Assert.True(result.PolishedResidual < 1e-8, $"residual {result.PolishedResidual}");
        Assert.True(result.ChordalGap > 0);
    }

    [Theory]
    [InlineData(8, 16)]
    [InlineData(12, 30)]
    public void RankOneSearchFindsEveryNeuronInAnExactSpan(int d, int m)
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(d, m), 5);
        int dim = SymmetricCoordinates.Dimension(d);
        // P: orthonormal basis of span{svec(w_i w_i^T)} by Gram-Schmidt.
        var p = new double[dim * m];
        for (int i = 0; i < m; i++)
        {
            var w = teacher.WeightsOf(i);
            var ww = new double[d * d];
            for (int a = 0; a < d; a++) for (int b = 0; b < d; b++) ww[a * d + b] = w[a] * w[b];
            double[] v = SymmetricCoordinates.Vectorize(ww, d);
            for (int j = 0; j < i; j++)
            {
                double dot = 0;
                for (int q = 0; q < dim; q++) dot += p[q * m + j] * v[q];
                for (int q = 0; q < dim; q++) v[q] -= dot * p[q * m + j];
            }
            double norm = Math.Sqrt(TensorPrimitives.SumOfSquares(v));
            for (int q = 0; q < dim; q++) p[q * m + i] = v[q] / norm;
        }
        var points = RankOneSubspace.Search(p, d, m, [], randomStarts: 10 * m, seed: 2);
        // the starts run on two threads: the same points to the bit, in the same order, with the same support
        var twoThreads = RankOneSubspace.Search(p, d, m, [], randomStarts: 10 * m, seed: 2, threads: 2);
        Assert.Equal(points.Count, twoThreads.Count);
        for (int k = 0; k < points.Count; k++)
        {
            Assert.Equal(points[k].Direction.Select(BitConverter.DoubleToInt64Bits), twoThreads[k].Direction.Select(BitConverter.DoubleToInt64Bits));
            Assert.Equal(BitConverter.DoubleToInt64Bits(points[k].Fit), BitConverter.DoubleToInt64Bits(twoThreads[k].Fit));
            Assert.Equal(points[k].Support, twoThreads[k].Support);
        }
        Assert.True(points.Count >= m, $"found {points.Count} of {m}");
        for (int i = 0; i < m; i++)
        {
            var w = teacher.WeightsOf(i).ToArray();
            double best = points.Take(m).Max(q => Math.Abs(TensorPrimitives.Dot(q.Direction, w)));
            Assert.True(best > 1 - 1e-9, $"neuron {i}: best |cos| {best}");
        }
        Assert.All(points.Take(m), q => Assert.True(q.Fit > 1 - 1e-9));
    }

    [Fact]
    public void JacobiTopEigenvectorMatchesTheSymmetricSpectrum()
    {
        var r = new Random(4);
        const int n = 9;
        var a = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = i; j < n; j++) a[i * n + j] = a[j * n + i] = ReluFast.Tests.Moments.MomentTestData.Gaussian(r);
        double[] top = RankOneSubspace.TopEigenvector(a, n);
        var spectrum = SymmetricSpectrum.Compute(a, n);
        int k = Enumerable.Range(0, n).MaxBy(i => spectrum.Values[i]);
        Assert.Equal(1, Math.Abs(TensorPrimitives.Dot(top, spectrum.Vector(k))), 1e-10);
    }

    /// <summary>
    /// The top eigenvector with the row rotations of A and V^T on vectors is the scalar sweeps' to the bit, on every width and
    /// on and off the vector length.
    /// </summary>
    [Theory]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(12)]
    [InlineData(17)]
    public void JacobiTopEigenvectorIsTheScalarSweepsToTheBit(int n)
    {
        var r = new Random(n);
        var a = new double[n * n];
        for (int i = 0; i < n; i++) for (int j = i; j < n; j++) a[i * n + j] = a[j * n + i] = ReluFast.Tests.Moments.MomentTestData.Gaussian(r);
        double[] expected = ScalarTopEigenvector(a, n);
        foreach (int width in new[] { 512, 256, 64 })
            ReluFast.Tests.Moments.MomentTestData.WithWidth(width, () => Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits),
                RankOneSubspace.TopEigenvector(a, n).Select(BitConverter.DoubleToInt64Bits)));
    }

    /// <summary>The cyclic Jacobi sweeps as they were: every rotation in scalar loops, V stored by columns.</summary>
    private static double[] ScalarTopEigenvector(double[] matrix, int n)
    {
        var a = (double[])matrix.Clone();
        var v = new double[n * n];
        for (int i = 0; i < n; i++) v[i * n + i] = 1;
        for (int sweep = 0; sweep < 50; sweep++)
        {
            double off = 0, total = 0;
            for (int i = 0; i < n; i++)
                for (int j = 0; j < n; j++)
                {
                    double x = a[i * n + j] * a[i * n + j];
                    total += x;
                    if (i != j) off += x;
                }
            if (off <= 1e-30 * Math.Max(total, 1e-300)) break;
            for (int pi = 0; pi < n - 1; pi++)
                for (int qi = pi + 1; qi < n; qi++)
                {
                    double apq = a[pi * n + qi];
                    if (Math.Abs(apq) < 1e-300) continue;
                    double theta = (a[qi * n + qi] - a[pi * n + pi]) / (2 * apq);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;
                    for (int k = 0; k < n; k++)
                    {
                        double akp = a[k * n + pi], akq = a[k * n + qi];
                        a[k * n + pi] = c * akp - s * akq;
                        a[k * n + qi] = s * akp + c * akq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double apk = a[pi * n + k], aqk = a[qi * n + k];
                        a[pi * n + k] = c * apk - s * aqk;
                        a[qi * n + k] = s * apk + c * aqk;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        double vkp = v[k * n + pi], vkq = v[k * n + qi];
                        v[k * n + pi] = c * vkp - s * vkq;
                        v[k * n + qi] = s * vkp + c * vkq;
                    }
                }
        }
        int best = 0;
        for (int i = 1; i < n; i++) if (a[i * n + i] > a[best * n + best]) best = i;
        var result = new double[n];
        for (int k = 0; k < n; k++) result[k] = v[k * n + best];
        return result;
    }

    [Theory]
    [InlineData(12, 30, 2)]
    [InlineData(12, 30, 6)]
    [InlineData(8, 16, 3)]
    [InlineData(12, 40, 4)]   // beyond the meet-in-the-middle limit: local search only
    public void FlipsThatMinimiseTheLinearRemainderRecoverATeacherWithoutOne(int d, int m, int seed)
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(d, m, BiasRange: 1), (ulong)seed);
        // Flip a random half of the neurons, moving a (<w,x> + b) into the linear remainder: the same function.
        var a = teacher.A.ToArray();
        var w = teacher.W.ToArray();
        var b = teacher.B.ToArray();
        double c0 = 0;
        var c = new double[d];
        var r = new Random(seed);
        var chosen = Enumerable.Range(0, m).Where(_ => r.NextDouble() < 0.5).ToArray();
        foreach (int i in chosen)
        {
            c0 += a[i] * b[i];
            for (int k = 0; k < d; k++) { c[k] += a[i] * w[i * d + k]; w[i * d + k] = -w[i * d + k]; }
            b[i] = -b[i];
        }
        var scrambled = new ReluNetwork(d, a, w, b, c0, c);
        Assert.True(ReluFast.Evaluation.NetworkComparison.TestError(scrambled, teacher, 10_000, 1).Mse < 1e-24);
        var resolved = LinearRemainderFlips.Minimize(scrambled, out bool[] flipped);
        Assert.Equal(chosen, Enumerable.Range(0, m).Where(i => flipped[i]).ToArray());
        Assert.True(Math.Abs(resolved.LinearBias) < 1e-12 && TensorPrimitives.Norm(resolved.LinearWeights) < 1e-12);
        var cmp = ReluFast.Evaluation.NetworkComparison.Compare(resolved, teacher, 10_000);
        Assert.True(cmp.WError < 1e-12 && cmp.BError < 1e-12 && cmp.AError < 1e-12);
    }
}
