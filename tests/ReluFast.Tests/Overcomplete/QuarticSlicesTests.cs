using System.Numerics.Tensors;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Moments;
using ReluFast.Sampling;

namespace ReluFast.Tests.Overcomplete;

/// <summary>
/// The slices the overcomplete learner streams, Q4[r, s] = &lt;T_4, A_r (x) A_s&gt; and Q5_l[r, s] = &lt;T_5, A_r (x) A_s (x) u_l&gt;,
/// against the closed form sum_i a_i c_k(b_i) (w_i'A_r w_i)(w_i'A_s w_i) [&lt;w_i, u_l&gt;] of a small teacher.
/// </summary>
public class QuarticSlicesTests
{
    [Fact]
    public void SymmetricCoordinatesRoundTripAndGiveQuadraticForms()
    {
        var r = new Random(1);
        const int d = 5;
        var a = new double[d * d];
        for (int i = 0; i < d; i++) for (int j = i; j < d; j++) a[i * d + j] = a[j * d + i] = r.NextDouble() - 0.5;
        double[] v = SymmetricCoordinates.Vectorize(a, d);
        Assert.Equal(15, v.Length);
        Assert.All(SymmetricCoordinates.Matrix(v, d).Zip(a), pair => Assert.Equal(pair.Second, pair.First, 1e-15));
        Assert.Equal(TensorPrimitives.Dot(a, a), TensorPrimitives.Dot(v, v), 1e-12);  // <svec A, svec A> = tr(A^2)
        var x = Enumerable.Range(0, 2 * d).Select(_ => r.NextDouble() - 0.5).ToArray();
        var phi = new double[2 * 17];
        SymmetricCoordinates.Features<double>(x, d, phi, 17);
        for (int j = 0; j < 2; j++)
        {
            double quad = 0;
            for (int i = 0; i < d; i++) for (int k = 0; k < d; k++) quad += x[j * d + i] * a[i * d + k] * x[j * d + k];
            Assert.Equal(quad, TensorPrimitives.Dot(phi.AsSpan(j * 17, 15), v), 1e-12);
        }
    }

    private static (QuarticSlices Measured, QuarticSlices Noise, QuarticSlices Exact) Measure(ReluNetwork teacher, long n, double[]? basisP, int p,
        ReluNetwork? control = null)
    {
        int d = teacher.InputDim, dim = SymmetricCoordinates.Dimension(d);
        var basis = basisP is null ? QuarticSlices.CoordinateBasis(d) : QuarticSlices.ProjectedBasis(basisP, d, p);
        // Directions: two random ones.
        var u = new double[d * 2];
        new CounterGaussian(9, key: 4).Fill(0, u);
        // The exact t0, t1, T_2 of the teacher for the quadratic control variate.
        double t0 = 0;
        var t1 = new double[d];
        var t2 = new double[d * d];
        for (int i = 0; i < teacher.Hidden; i++)
        {
            double a = teacher.A[i], b = teacher.B[i];
            var w = teacher.WeightsOf(i);
            t0 += a * GaussianMath.ReluCoefficient(0, b);
            for (int k = 0; k < d; k++)
            {
                t1[k] += a * GaussianMath.ReluCoefficient(1, b) * w[k];
                for (int l = 0; l < d; l++) t2[k * d + l] += a * GaussianMath.ReluCoefficient(2, b) * w[k] * w[l];
            }
        }
        var response = ResponseControl.Create(t0, t1, t2, control);
        var source = new TeacherSampleSource<double>(teacher, n, 77);
        var worker = SamplePass.Run(source, () => new QuarticSliceWorker<double>(response, d, basisP, basisP is null ? dim : p, u, 2, 4096),
            new SamplePassOptions(BlockSize: 4096));
        var a0 = QuarticSlices.Assemble(worker.Halves[0], basis, u, d);
        var a1 = QuarticSlices.Assemble(worker.Halves[1], basis, u, d);
        var measured = QuarticSlices.Combine(a0, worker.Halves[0].Count, a1, worker.Halves[1].Count);
        response.AddClosedForm(measured, basis, u);
        var noise = QuarticSlices.HalfDifference(a0, a1);
        // Closed form of the teacher itself.
        var exactControl = ResponseControl.Create(0, new double[d], new double[d * d], teacher);
        var zero = QuarticSlices.Combine(a0, 0, a1, 1);
        foreach (var s in zero.All) Array.Clear(s);
        exactControl.AddClosedForm(zero, basis, u);
        return (measured, noise, zero);
    }

    private static double Norm(QuarticSlices s) => Math.Sqrt(s.All.Sum(x => TensorPrimitives.SumOfSquares(x)));

    private static double Distance(QuarticSlices x, QuarticSlices y) =>
        Math.Sqrt(x.All.Zip(y.All, (p, q) => TensorPrimitives.Distance(p, q) * TensorPrimitives.Distance(p, q)).Sum());

    [Fact]
    public void CoordinateSlicesMatchTheClosedFormWithinTheirSplitHalfNoise()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(4, 6, BiasRange: 1), 3);
        var (measured, noise, exact) = Measure(teacher, 1_000_000, null, 0);
        double error = Distance(measured, exact), scale = Norm(exact), floor = Norm(noise);
        Assert.True(error < 3 * floor, $"error {error} vs split-half noise {floor}");
        Assert.True(error < 0.1 * scale, $"error {error} vs slice norm {scale}");
    }

    [Fact]
    public void ProjectedSlicesMatchTheClosedFormWithinTheirSplitHalfNoise()
    {
        const int d = 4, p = 5;
        var teacher = RandomTeacher.Create(new TeacherOptions(d, 6, BiasRange: 1), 4);
        double[] basis = ReluFast.Tests.Moments.MomentTestData.Orthonormal(SymmetricCoordinates.Dimension(d), p, 8);
        var (measured, noise, exact) = Measure(teacher, 1_000_000, basis, p);
        double error = Distance(measured, exact), scale = Norm(exact), floor = Norm(noise);
        Assert.True(error < 3 * floor, $"error {error} vs split-half noise {floor}");
        Assert.True(error < 0.1 * scale, $"error {error} vs slice norm {scale}");
    }

    [Fact]
    public void ANetworkControlVariateKeepsTheSlicesUnbiasedAndShrinksTheirNoise()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(4, 6, BiasRange: 1), 5);
        // A perturbed copy of the teacher as the control: y~ = y - f^ - (rest of the quadratic part).
        var w = teacher.W.ToArray();
        for (int i = 0; i < w.Length; i++) w[i] += 0.03 * Math.Sin(7 * i);
        var control = new ReluNetwork(4, teacher.A.ToArray().Select(a => 1.05 * a).ToArray(), w, teacher.B.ToArray().Select(b => b + 0.05).ToArray())
            .Normalized();
        var (plain, plainNoise, exact) = Measure(teacher, 400_000, null, 0);
        var (controlled, controlledNoise, _) = Measure(teacher, 400_000, null, 0, control);
        double error = Distance(controlled, exact), floor = Norm(controlledNoise);
        Assert.True(error < 3 * floor, $"error {error} vs split-half noise {floor}");
        Assert.True(floor < 0.3 * Norm(plainNoise), $"noise {floor} with the network control vs {Norm(plainNoise)} without");
        Assert.True(Distance(plain, exact) < 3 * Norm(plainNoise));
    }

    [Fact]
    public void PassWorkersDoNotAllocateAfterTheFirstBlock()
    {
        const int d = 5, n = 1000;
        var teacher = RandomTeacher.Create(new TeacherOptions(d, 7, BiasRange: 1), 8);
        var x = new double[n * d];
        var y = new double[n];
        new TeacherSampleSource<double>(teacher, n, 3).Read(0, x, y);
        var control = ResponseControl.Create(0.1, new double[d], new double[d * d], teacher);
        int dim = SymmetricCoordinates.Dimension(d);
        double[] p = ReluFast.Tests.Moments.MomentTestData.Orthonormal(dim, 6, 2);
        var span = new QuarticSliceWorker<double>(control, d, null, dim, new double[d * 2], 2, n);
        var projected = new QuarticSliceWorker<double>(control, d, p, 6, new double[d * d], d, n);
        var coefficients = new DirectionHermiteWorker<double>(d, new double[d * 9], 9, 4, control, n);
        span.Accumulate(x, y); projected.Accumulate(x, y); coefficients.Accumulate(x, y);
        Assert.Equal(0, ReluFast.Tests.Moments.MomentTestData.SteadyStateAllocatedBytes(
            () => { span.Accumulate(x, y); projected.Accumulate(x, y); coefficients.Accumulate(x, y); }, 1));
    }

    [Fact]
    public void FloatSamplesGiveTheSameSlicesWithinTheirNoise()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(4, 6, BiasRange: 1), 9);
        var u = new double[8];
        new CounterGaussian(9, key: 4).Fill(0, u);
        var basis = QuarticSlices.CoordinateBasis(4);
        // A network control exercises the float evaluation of f^ as well.
        var other = RandomTeacher.Create(new TeacherOptions(4, 6, BiasRange: 1), 10);
        var control = ResponseControl.Create(0, new double[4], new double[16], other);
        QuarticSlices Run<T>() where T : unmanaged, System.Numerics.IBinaryFloatingPointIeee754<T>
        {
            var source = new TeacherSampleSource<T>(teacher, 400_000, 21);
            var worker = SamplePass.Run(source,
                () => new QuarticSliceWorker<T>(control, 4, null, 10, u.Select(T.CreateTruncating).ToArray(), 2, 4096),
                new SamplePassOptions(BlockSize: 4096));
            var a0 = QuarticSlices.Assemble(worker.Halves[0], basis, u, 4);
            var a1 = QuarticSlices.Assemble(worker.Halves[1], basis, u, 4);
            return QuarticSlices.Combine(a0, worker.Halves[0].Count, a1, worker.Halves[1].Count);
        }
        var single = Run<float>();
        var full = Run<double>();
        // Same samples (rounded to float): the slices differ by float rounding only, far below the sampling noise.
        Assert.True(Distance(single, full) < 1e-4 * Norm(full), $"float vs double {Distance(single, full)} (norm {Norm(full)})");
    }
}
