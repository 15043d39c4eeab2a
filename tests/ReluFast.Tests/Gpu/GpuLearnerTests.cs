using System.Numerics;
using ReluFast.Evaluation;
using ReluFast.Gpu;
using ReluFast.Interop;
using ReluFast.IO;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Moments;
using ReluFast.Sampling;
using ReluFast.Tests.Cli;
using ReluFast.Tests.IO;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Gpu;

/// <summary>
/// The learner's device path (LearnerOptions.Device = cuda) on the GPU engine's kernels under ILGPU's CPU accelerator
/// (the very kernels a GPU runs, opened as cuda:0 for the test's own flow by <see cref="ComputeDevice.UseCudaEngine"/>),
/// against the SIMD path, and what cuda does on a machine without a GPU.
/// </summary>
public sealed class GpuLearnerTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(typeof(double))]
    [InlineData(typeof(float))]
    public void DevicePassOneGivesTheSimdSumsToTheRoundingBound(Type element)
    {
        if (element == typeof(double)) PassOne<double>();
        else PassOne<float>();
    }

    private static void PassOne<T>() where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        const int d = 7, n = 7001, block = 1000;
        var teacher = RandomTeacher.Create(new TeacherOptions(d, 3), 41);
        var source = new TeacherSampleSource<T>(teacher, n, 42, noiseStd: 0.1);
        var cv = ControlVariate.Linear(0.3, Gaussians<double>(d, 43));
        // three threads over seven blocks and a one-sample tail: each thread feeds its own session, merged in thread order
        var options = new SamplePassOptions(Threads: 3, BlockSize: block);
        var simd = SamplePass.Run(source, () => new SecondMomentWorker<T>(cv, block), options);
        using var device = new CountingDevice(GpuMomentDevice.OpenCpuAccelerator());
        var gpu = SamplePass.Run(source, () => new SecondMomentWorker<T>(cv, block, device), options);
        Assert.Equal(3, device.Sessions);
        Assert.Equal(3, device.Disposed);
        Assert.Equal(n, device.Samples);

        // sum |y~| |x_i| |x_j| over the same centred responses: the scale of each sum's rounding error
        var x = new T[n * d];
        var y = new T[n];
        var centred = new T[n];
        source.Read(0, x, y);
        cv.Apply<T>(x, y, centred);
        var abs = new WeightedGramAccumulator<double>(d);
        abs.Accumulate(ToDouble<T>(x).Select(Math.Abs).ToArray(), ToDouble<T>(centred).Select(Math.Abs).ToArray());
        double[] expected = State(simd), got = State(gpu), absolute = new double[expected.Length];
        abs.CopyState(absolute.AsSpan(0, abs.StateLength));
        absolute[^1] = Math.Abs(expected[^1]); // sum y~^2: computed on the CPU in both paths
        Assert.Equal(n, got[0]);
        double bound = SumBound<double>(1, 1) + 2 * SumBound<T>(n, n, 4);
        AssertWithin(expected, got, absolute.Select(v => bound * v + 1e-300).ToArray(), "device pass 1 vs SIMD pass 1");
    }

    private static double[] State<T>(SecondMomentWorker<T> worker) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var state = new double[worker.StateLength];
        worker.CopyState(state);
        return state;
    }

    [Theory]
    [InlineData(typeof(double))]
    [InlineData(typeof(float))]
    public void DeviceLearnerPathLearnsTheSimdPathsNetwork(Type element)
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(6, 3), 23);
        const long n = 200_000;
        LearningResult Learn(ComputeDevice device, bool refine) => element == typeof(double)
            ? ReluLearner.Learn(new TeacherSampleSource<double>(teacher, n, 29), Options(device, refine), LearnerMode.FullRank)
            : ReluLearner.Learn(new TeacherSampleSource<float>(teacher, n, 29), Options(device, refine), LearnerMode.FullRank);
        var devices = new List<CountingDevice>();
        LearningResult gpuMoments, gpuRefined;
        // cuda:0 opens the very kernels a GPU runs, on the CPU accelerator, in this test's flow only
        using (ComputeDevice.UseCudaEngine(_ =>
        {
            var opened = new CountingDevice(GpuMomentDevice.OpenCpuAccelerator());
            devices.Add(opened);
            return opened;
        }))
        {
            gpuMoments = Learn(ComputeDevice.Cuda(0), refine: false);
            gpuRefined = Learn(ComputeDevice.Cuda(0), refine: true);
        }
        LearningResult simdMoments = Learn(ComputeDevice.Cpu, refine: false), simdRefined = Learn(ComputeDevice.Cpu, refine: true);

        // every pass of both runs went through the device: one session per pass thread and pass, all closed, every sample
        Assert.Equal(2, devices.Count);
        foreach (var device in devices)
        {
            Assert.Equal(3 * Threads, device.Sessions);
            Assert.Equal(device.Sessions, device.Disposed);
            Assert.Equal(3 * n, device.Samples);
            Assert.True(device.IsDisposed, "the learner closes the device it opened");
        }
        // The moment sums differ from the SIMD engine's by rounding only: about 1e-13 relative in double (pass 2's products in
        // double on both: Options; the default multiplies the SIMD engine's in float32, below); in float the
        // SIMD engine's float partial sums carry float rounding (about 1e-7 relative) while the device sums the same float
        // samples in double. A lost, doubled or misplaced block would move the estimate by the statistical error,
        // 1/sqrt(N) = 2e-3. Bounds (the distributed test's): 1e-9 in double, 1e-5 in float.
        double bound = element == typeof(double) ? 1e-9 : 1e-5;
        double moments = MaxRelativeDifference(Parameters(gpuMoments), Parameters(simdMoments));
        Assert.True(moments <= bound, $"moment estimates: device vs SIMD differ by {moments:G3} > {bound:G3}");
        // refinement (on the CPU in both, on the same samples) converges from either start to the same minimum: in double the
        // exact-fit stop (training MSE 1e-20 Var y, parameters to about 1e-10), in float the least-squares fit of labels
        // rounded to float (parameters about 1e-9 from the teacher); a start in another basin would differ by O(1)
        double refined = MaxRelativeDifference(NetworkParameters(gpuRefined.Network), NetworkParameters(simdRefined.Network));
        Assert.True(refined <= 1e-8, $"refined networks: device vs SIMD differ by {refined:G3}");
        NetworkComparison toTeacher = NetworkComparison.Compare(gpuRefined.Network, teacher, 100_000);
        Assert.True(toTeacher.WError < 1e-6 && toTeacher.AError < 1e-6 && toTeacher.BError < 1e-6, $"device path vs teacher: {toTeacher}");
    }

    private const int Threads = 2;

    private static LearnerOptions Options(ComputeDevice device, bool refine) => new()
    {
        Hidden = 3,
        Seed = 5,
        Device = device,
        Threads = Threads,
        Refine = refine,
        BlockSize = 3000,
        Inputs = InputHandling.StandardNormal,
        TensorPrecision = TensorPrecision.SampleType,
    };

    private static double[] Parameters(LearningResult r) =>
        [.. NetworkParameters(r.Network), .. r.Spectrum, r.NoiseFloor, .. r.HermiteCoefficients.SelectMany(l => l)];

    private static double[] NetworkParameters(ReluNetwork net) => [.. net.A, .. net.W, .. net.B, net.LinearBias, .. net.LinearWeights];

    private static double MaxRelativeDifference(double[] a, double[] b)
    {
        if (a.Length != b.Length) return double.PositiveInfinity;
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]) / Math.Max(1, Math.Abs(b[i])));
        return double.IsNaN(max) ? double.PositiveInfinity : max;
    }

    [NoCudaFact]
    public void AskingForCudaWhereItIsAbsentFailsBeforeAnyPass()
    {
        GpuMomentDevice.Register(); // what the CLI registers
        var teacher = RandomTeacher.Create(new TeacherOptions(6, 3), 91);
        var source = new CountingSource(new TeacherSampleSource<double>(teacher, 100_000, 1));
        var e = Assert.Throws<DeviceUnavailableException>(() =>
            ReluLearner.Learn(source, new LearnerOptions { Device = ComputeDevice.Cuda(), Hidden = 3 }));
        Assert.Contains("--device cuda:0", e.Message);
        Assert.Contains("libcuda.so.1", e.Message);
        Assert.Equal(0, source.Reads); // not even the input pass ran
        Assert.Throws<DeviceUnavailableException>(() => ReluLearner.Diagnose(source, new LearnerOptions { Device = ComputeDevice.Cuda(2) }));
        Assert.Throws<DeviceUnavailableException>(() => ReluLearner.ChooseMode(source, new LearnerOptions { Device = ComputeDevice.Cuda() }));
        Assert.Equal(0, source.Reads);
    }

    [NoCudaFact]
    public void LearnOnCudaWithoutADriverExitsWithOneNamingTheDriverAndWritesNothing()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(5, 2), 7);
        var source = new TeacherSampleSource<double>(teacher, 5000, 8);
        double[] x = new double[5000 * 5], y = new double[5000];
        source.Read(0, x, y);
        string xp = _dir.File("x.npy"), yp = _dir.File("y.npy"), model = _dir.File("model.json");
        NpyWriter.WriteMatrix<double>(xp, x, 5000, 5);
        NpyWriter.WriteVector<double>(yp, y);
        Cli.Cli.Run("learn", "--x", xp, "--y", yp, "--device", "cuda:0", "--out", model)
            .FailedWithBadInput("--device cuda:0", "NVIDIA driver", "libcuda.so.1");
        Assert.False(File.Exists(model));
        Assert.Equal(["x.npy", "y.npy"], _dir.Files().Order().ToArray());
    }

    [CudaFact]
    public void OnAGpuTheDeviceLearnerPathLearnsTheSimdPathsNetwork()
    {
        GpuMomentDevice.Register();
        var teacher = RandomTeacher.Create(new TeacherOptions(8, 4), 61);
        var source = new TeacherSampleSource<double>(teacher, 1_000_000, 62);
        LearningResult gpu = ReluLearner.Learn(source, Options(ComputeDevice.Cuda(0), refine: false), LearnerMode.FullRank);
        LearningResult simd = ReluLearner.Learn(source, Options(ComputeDevice.Cpu, refine: false), LearnerMode.FullRank);
        double difference = MaxRelativeDifference(Parameters(gpu), Parameters(simd));
        Assert.True(difference <= 1e-9, $"moment estimates on the GPU vs SIMD differ by {difference:G3}"); // as on the CPU accelerator
    }

    [Fact]
    public void TorchMseObjectiveGivesTheSimdLossAndGradient()
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(7, 4), 31);
        var source = new TeacherSampleSource<double>(teacher, 3001, 32, noiseStd: 0.1);
        double[] x = new double[3001 * 7], y = new double[3001];
        source.Read(0, x, y);
        // a point away from the teacher, with a linear part, so that every gradient block is non-zero
        double[] p = IMseObjective.Pack(teacher);
        var r = new Random(3);
        for (int i = 0; i < p.Length; i++) p[i] += 0.3 * (r.NextDouble() - 0.5);
        using var simd = new SimdMseObjective(x, y, 7, threads: 1);
        using var torch = new TorchMseObjective(x, y, 7);
        double[] g1 = new double[p.Length], g2 = new double[p.Length];
        double l1 = simd.Evaluate(p, g1, 4), l2 = torch.Evaluate(p, g2, 4);
        Assert.Equal(simd.Samples, torch.Samples);
        Assert.True(Math.Abs(simd.TargetVariance - torch.TargetVariance) <= 1e-12 * simd.TargetVariance,
            $"variance {simd.TargetVariance} vs {torch.TargetVariance}");
        Assert.True(Math.Abs(l1 - l2) <= 1e-12 * l1, $"loss {l1} vs {l2}");
        double scale = g1.Max(Math.Abs);
        for (int i = 0; i < p.Length; i++) Assert.True(Math.Abs(g1[i] - g2[i]) <= 1e-11 * scale, $"gradient[{i}]: {g1[i]} vs {g2[i]}");
    }

    /// <summary>A moment device that counts the sessions opened and closed and the samples streamed into them.</summary>
    private sealed class CountingDevice(IMomentDevice inner) : IMomentDevice
    {
        private int _sessions, _disposed;
        private long _samples;

        public int Sessions => Volatile.Read(ref _sessions);

        public int Disposed => Volatile.Read(ref _disposed);

        public long Samples => Interlocked.Read(ref _samples);

        public bool IsDisposed { get; private set; }

        public string Name => inner.Name;

        public IDeviceMoments<T> CreateWeightedGram<T>(int dimension, int weightCount) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
            Count(inner.CreateWeightedGram<T>(dimension, weightCount), dimension);

        public IDeviceMoments<T> CreateProjectedTensor<T>(int dimension, int weightCount) where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
            Count(inner.CreateProjectedTensor<T>(dimension, weightCount), dimension);

        public IDeviceMoments<T> CreateHermiteProjection<T>(int dimension, ReadOnlySpan<double> directions, int hidden, int maxOrder)
            where T : unmanaged, IBinaryFloatingPointIeee754<T> =>
            Count(inner.CreateHermiteProjection<T>(dimension, directions, hidden, maxOrder), dimension);

        private Session<T> Count<T>(IDeviceMoments<T> session, int dimension) where T : unmanaged, IBinaryFloatingPointIeee754<T>
        {
            Interlocked.Increment(ref _sessions);
            return new Session<T>(this, session, dimension);
        }

        public void Dispose()
        {
            IsDisposed = true;
            inner.Dispose();
        }

        private sealed class Session<T>(CountingDevice owner, IDeviceMoments<T> inner, int dimension) : IDeviceMoments<T>
            where T : unmanaged, IBinaryFloatingPointIeee754<T>
        {
            public int StateLength => inner.StateLength;

            public void Accumulate(ReadOnlySpan<T> inputs, ReadOnlySpan<T> weights)
            {
                inner.Accumulate(inputs, weights);
                Interlocked.Add(ref owner._samples, inputs.Length / dimension);
            }

            public void Flush(Span<double> state) => inner.Flush(state);

            public void Dispose()
            {
                inner.Dispose();
                Interlocked.Increment(ref owner._disposed);
            }
        }
    }

    /// <summary>A sample source that counts its reads.</summary>
    private sealed class CountingSource(ISampleSource<double> inner) : ISampleSource<double>
    {
        public int Reads { get; private set; }

        public int Dimension => inner.Dimension;

        public long Count => inner.Count;

        public void Read(long start, Span<double> x, Span<double> y)
        {
            Reads++;
            inner.Read(start, x, y);
        }
    }
}
