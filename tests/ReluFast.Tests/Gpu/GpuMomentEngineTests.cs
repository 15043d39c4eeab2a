using System.Numerics;
using ILGPU.Runtime;
using ReluFast.Gpu;
using ReluFast.Interop;
using ReluFast.Model;
using ReluFast.Moments;
using ReluFast.Sampling;
using static ReluFast.Tests.Moments.MomentTestData;

namespace ReluFast.Tests.Gpu;

/// <summary>
/// The GPU engine's kernels, run on ILGPU's CPU accelerator (the very kernels a CUDA device runs), give the SIMD engine's
/// sums to the sum of both engines' rounding bounds, over blocks of odd sizes, tails and both buffers of a session.
/// </summary>
public class GpuMomentEngineTests(CpuAcceleratorFixture fixture) : IClassFixture<CpuAcceleratorFixture>
{
    private readonly GpuMomentDevice _device = fixture.Device;

    // blocks of odd sizes: one over a launch's capacity (split, with a tail), a single sample, a small tail
    private static readonly int[] s_blocks = [2500, 1, 333];

    [Theory]
    [InlineData(1, 1)]
    [InlineData(17, 2)]
    [InlineData(64, 1)]
    public void WeightedGramMatchesSimd(int d, int l)
    {
        Gram<double>(d, l);
        Gram<float>(d, l);
    }

    private void Gram<T>(int d, int l) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var simd = new WeightedGramAccumulator<T>(d, l);
        var abs = new WeightedGramAccumulator<double>(d, l);
        using IDeviceMoments<T> session = _device.CreateWeightedGram<T>(d, l);
        int seed = d * 10 + l;
        foreach (int n in s_blocks)
        {
            T[] x = Gaussians<T>(n * d, seed++), c = Gaussians<T>(n * l, seed++);
            simd.Accumulate(x, c);
            session.Accumulate(x, c);
            abs.Accumulate(ToDouble<T>(x).Select(Math.Abs).ToArray(), ToDouble<T>(c).Select(Math.Abs).ToArray());
        }
        var gpu = new WeightedGramAccumulator<T>(d, l);
        gpu.AddState(Flushed(session));
        Compare(State(simd.StateLength, simd.CopyState), State(gpu.StateLength, gpu.CopyState), State(abs.StateLength, abs.CopyState),
            SumBound<T>(s_blocks.Sum(), s_blocks.Sum(), 4));
        Assert.Equal(simd.Count, gpu.Count);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(8, 3)]
    [InlineData(13, 1)]
    public void ProjectedTensorMatchesSimd(int m, int l)
    {
        Tensor3<double>(m, l);
        Tensor3<float>(m, l);
    }

    private void Tensor3<T>(int m, int l) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var simd = new ProjectedTensorAccumulator<T>(m, l);
        var abs = new ProjectedTensorAccumulator<double>(m, l);
        using IDeviceMoments<T> session = _device.CreateProjectedTensor<T>(m, l);
        int seed = 1000 + m * 10 + l;
        foreach (int n in s_blocks)
        {
            T[] z = Gaussians<T>(n * m, seed++), c = Gaussians<T>(n * l, seed++);
            simd.Accumulate(z, c);
            session.Accumulate(z, c);
            abs.Accumulate(ToDouble<T>(z).Select(Math.Abs).ToArray(), ToDouble<T>(c).Select(Math.Abs).ToArray());
        }
        var gpu = new ProjectedTensorAccumulator<T>(m, l);
        gpu.AddState(Flushed(session));
        Compare(State(simd.StateLength, simd.CopyState), State(gpu.StateLength, gpu.CopyState), State(abs.StateLength, abs.CopyState),
            SumBound<T>(s_blocks.Sum(), s_blocks.Sum(), 5));
    }

    [Theory]
    [InlineData(20, 7, 5)]
    [InlineData(3, 1, 0)]
    [InlineData(9, 4, 3)]
    [InlineData(150, 70, 5)] // two column blocks and two direction tiles of the kernel
    public void HermiteProjectionMatchesSimd(int d, int m, int maxOrder)
    {
        double[] w = Orthonormal(d, m, d + m);
        var simd = new HermiteProjectionAccumulator<double>(d, w, m, maxOrder);
        using IDeviceMoments<double> session = _device.CreateHermiteProjection<double>(d, w, m, maxOrder);
        int seed = 2000 + d;
        foreach (int n in s_blocks)
        {
            double[] x = Gaussians<double>(n * d, seed++), r = Gaussians<double>(n, seed++);
            simd.Accumulate(x, r);
            session.Accumulate(x, r);
        }
        var gpu = new HermiteProjectionAccumulator<double>(d, w, m, maxOrder);
        gpu.AddState(Flushed(session));
        var a = new double[(maxOrder + 1) * m]; var b = new double[a.Length];
        simd.CopySums(a); gpu.CopySums(b);
        // both engines round u = <v_i, x> (d terms) and the recurrence in double; the bound of the libtorch engine's test
        int total = s_blocks.Sum();
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) <= 1e-11 * (1 + Math.Abs(a[i])) * total, $"entry {i}: {a[i]} vs {b[i]}");
        Assert.Equal(simd.Count, gpu.Count);
    }

    [Fact]
    public void FlushHandsOverTheSumsOnceAndClearsThem()
    {
        const int d = 5;
        using IDeviceMoments<double> session = _device.CreateWeightedGram<double>(d, 1);
        double[] x = Gaussians<double>(300 * d, 1), c = Gaussians<double>(300, 2);
        session.Accumulate(x.AsSpan(0, 100 * d), c.AsSpan(0, 100));
        double[] first = Flushed(session);
        session.Accumulate(x.AsSpan(100 * d), c.AsSpan(100));
        double[] second = Flushed(session), empty = Flushed(session);
        Assert.Equal(100, first[0]);
        Assert.Equal(200, second[0]);
        Assert.All(empty, v => Assert.Equal(0, v));
        var whole = new WeightedGramAccumulator<double>(d);
        whole.Accumulate(x, c);
        var parts = new WeightedGramAccumulator<double>(d);
        parts.AddState(first);
        parts.AddState(second);
        var abs = new WeightedGramAccumulator<double>(d);
        abs.Accumulate(x.Select(Math.Abs).ToArray(), c.Select(Math.Abs).ToArray());
        Compare(State(whole.StateLength, whole.CopyState), State(parts.StateLength, parts.CopyState), State(abs.StateLength, abs.CopyState),
            SumBound<double>(300, 300, 4));
    }

    [Fact]
    public void SameBlocksGiveBitIdenticalSums()
    {
        const int d = 9;
        double[] x = Gaussians<double>(1500 * d, 3), c = Gaussians<double>(1500, 4);
        double[] Run()
        {
            using IDeviceMoments<double> session = _device.CreateWeightedGram<double>(d, 1);
            session.Accumulate(x.AsSpan(0, 1100 * d), c.AsSpan(0, 1100));
            session.Accumulate(x.AsSpan(1100 * d), c.AsSpan(1100));
            return Flushed(session);
        }
        AssertBitwiseEqual(Run(), Run(), "two runs of the same blocks");
    }

    /// <summary>
    /// A session launches once per capacity of samples, whatever the calls: the samples handed over in one call and in
    /// many calls of odd sizes (as a pass hands over its 256 KiB blocks) give bit-identical sums, here over both slots and
    /// with three weight rows (their stride in a slot is its capacity, not the launch's sample count). The staging is the
    /// sessions' common part (here a Gram's, whose small outputs keep the test fast on the CPU accelerator).
    /// </summary>
    [Fact]
    public void HowTheSamplesAreCutIntoCallsDoesNotChangeTheSums()
    {
        const int m = 9, l = 3;
        using IDeviceMoments<double> probe = _device.CreateWeightedGram<double>(m, l);
        int capacity = ((DeviceSession<double>)probe).Capacity, n = 2 * capacity + 1234;
        double[] z = Gaussians<double>(n * m, 5), c = Gaussians<double>(n * l, 6);
        double[] Run(int[] calls)
        {
            using IDeviceMoments<double> session = _device.CreateWeightedGram<double>(m, l);
            double[] w = new double[n * l];
            for (int start = 0, i = 0; start < n; i++)
            {
                int count = Math.Min(calls[i % calls.Length], n - start);
                for (int q = 0; q < l; q++) c.AsSpan(q * n + start, count).CopyTo(w.AsSpan(q * count, count));
                session.Accumulate(z.AsSpan(start * m, count * m), w.AsSpan(0, count * l));
                start += count;
            }
            return Flushed(session);
        }
        double[] whole = Run([n]);
        AssertBitwiseEqual(whole, Run([1000, 1, 333, 4096]), "one call and calls of 1000, 1, 333 and 4096 samples");
        Assert.Equal(n, whole[0]);
    }

    /// <summary>
    /// The tiled kernels' groups share memory: every tile sum (and every Hermite work item's sums) belongs to one thread
    /// and adds its samples in order, so groups of 1, 5 (threads that own several micro-tiles, a remainder) and the
    /// accelerator's most threads give the same bits, for the tensor and for Hermite projections over two column blocks
    /// and two direction tiles; and inputs wider than a tile (Grams of d = 100 with two weights and d = 130, a tensor of m = 50 with two)
    /// give the SIMD sums to the rounding bound.
    /// </summary>
    [Fact]
    public void TheTiledKernelsSumsDependNeitherOnTheGroupSizeNorOnTheTiles()
    {
        const int m = 13, l = 3, n = 700;
        double[] z = Gaussians<double>(n * m, 7), c = Gaussians<double>(n * l, 8);
        const int hd = 150, hm = 70;
        double[] hx = Gaussians<double>(300 * hd, 9), hr = Gaussians<double>(300, 10), hv = Orthonormal(hd, hm, 11);
        double[] Run(int group)
        {
            int saved = _device.TileGroup;
            _device.TileGroup = group;
            try
            {
                using IDeviceMoments<double> session = _device.CreateProjectedTensor<double>(m, l);
                session.Accumulate(z, c);
                using IDeviceMoments<double> hermite = _device.CreateHermiteProjection<double>(hd, hv, hm, 5);
                hermite.Accumulate(hx, hr);
                return [.. Flushed(session), .. Flushed(hermite)];
            }
            finally
            {
                _device.TileGroup = saved;
            }
        }
        double[] one = Run(1);
        AssertBitwiseEqual(one, Run(5), "groups of 1 and 5 threads");
        AssertBitwiseEqual(one, Run(_device.Accelerator.MaxNumThreadsPerGroup), "groups of 1 and the most threads");

        // wide inputs: several row and column tiles, tiles below a Gram's diagonal skipped, rows of two weights in one tile
        const int samples = 40;
        foreach (var (width, weights) in ((int, int)[])[(100, 2), (130, 1)])
        {
            double[] xw = Gaussians<double>(samples * width, width), ww = Gaussians<double>(samples * weights, width + 1);
            var simd = new WeightedGramAccumulator<double>(width, weights);
            var abs = new WeightedGramAccumulator<double>(width, weights);
            simd.Accumulate(xw, ww);
            abs.Accumulate(xw.Select(Math.Abs).ToArray(), ww.Select(Math.Abs).ToArray());
            using IDeviceMoments<double> session = _device.CreateWeightedGram<double>(width, weights);
            session.Accumulate(xw, ww);
            var gpu = new WeightedGramAccumulator<double>(width, weights);
            gpu.AddState(Flushed(session));
            Compare(State(simd.StateLength, simd.CopyState), State(gpu.StateLength, gpu.CopyState), State(abs.StateLength, abs.CopyState),
                SumBound<double>(samples, samples, 4));
        }
        {
            const int width = 50;
            double[] xt = Gaussians<double>(samples * width, 11), wt = Gaussians<double>(samples * 2, 12);
            var simd = new ProjectedTensorAccumulator<double>(width, 2);
            var abs = new ProjectedTensorAccumulator<double>(width, 2);
            simd.Accumulate(xt, wt);
            abs.Accumulate(xt.Select(Math.Abs).ToArray(), wt.Select(Math.Abs).ToArray());
            using IDeviceMoments<double> session = _device.CreateProjectedTensor<double>(width, 2);
            session.Accumulate(xt, wt);
            var gpu = new ProjectedTensorAccumulator<double>(width, 2);
            gpu.AddState(Flushed(session));
            Compare(State(simd.StateLength, simd.CopyState), State(gpu.StateLength, gpu.CopyState), State(abs.StateLength, abs.CopyState),
                SumBound<double>(samples, samples, 4));
        }
    }

    /// <summary>
    /// The peaks from the clocks as ILGPU gives them (MHz): an H200 (132 multiprocessors at 1980 MHz, HBM3e at 3134 MHz on
    /// a 6144-bit bus, as the check read them on 2026-12-04) has its datasheet's 34 TFLOP/s FP64 and 4.8 TB/s. Clocks
    /// taken as kHz gave 33 GFLOP/s and 4.8 GB/s, and the check's fractions of peak came out 1000 times too large.
    /// </summary>
    [Fact]
    public void PeaksOfAnH200AreItsDatasheets()
    {
        Assert.InRange(GpuMomentDevice.PeakFp64(132, 1980), 33_000, 34_500);
        Assert.InRange(GpuMomentDevice.PeakBandwidth(3134, 6144), 4_700, 4_900);
    }

    [Fact]
    public void MismatchedLengthsAreRejected()
    {
        using IDeviceMoments<double> session = _device.CreateWeightedGram<double>(4, 2);
        Assert.Throws<ArgumentException>(() => session.Accumulate(new double[4 * 10], new double[2 * 10 + 1]));
        Assert.Throws<ArgumentException>(() => session.Accumulate(new double[4 * 10 - 1], new double[2 * 10]));
        Assert.Throws<ArgumentException>(() => session.Flush(new double[3]));
        Assert.Throws<ArgumentException>(() => _device.CreateHermiteProjection<double>(3, new double[5], 2, 5));
        Assert.Throws<ArgumentOutOfRangeException>(() => _device.CreateHermiteProjection<double>(3, new double[6], 2, 6));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    public void DeviceTeacherStreamGivesTheCpuStream(double noise)
    {
        ReluNetwork random = RandomTeacher.Create(new TeacherOptions(7, 5), 11);
        var teacher = new ReluNetwork(7, random.A.ToArray(), random.W.ToArray(), random.B.ToArray(), 0.7, Gaussians<double>(7, 12));
        const int n = 301;
        const long start = 12_345;
        var source = new TeacherSampleSource<double>(teacher, start + n, 42, noise);
        double[] x = new double[n * 7], y = new double[n];
        source.Read(start, x, y);
        using var stream = new DeviceTeacherStream(_device, teacher, 42, noise);
        using var dx = _device.Accelerator.Allocate1D<double>(n * 7);
        using var dy = _device.Accelerator.Allocate1D<double>(n);
        stream.Generate(_device.Accelerator.DefaultStream, start, n, dx.View, dy.View);
        double[] gx = dx.GetAsArray1D(), gy = dy.GetAsArray1D();
        // the device writes out ln and the quarter-turn rounding: a few ulps on x, d + m terms on y
        for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(x[i] - gx[i]) <= 1e-14 * (1 + Math.Abs(x[i])), $"x[{i}]: {x[i]} vs {gx[i]}");
        double scale = 1 + teacher.A.ToArray().Sum(Math.Abs) * 10;
        for (int i = 0; i < n; i++) Assert.True(Math.Abs(y[i] - gy[i]) <= 1e-13 * scale, $"y[{i}]: {y[i]} vs {gy[i]}");
    }

    [Fact]
    public void DeviceTeacherSampleSourceGivesTheCpuSourcesSamplesToEveryThread()
    {
        ReluNetwork teacher = RandomTeacher.Create(new TeacherOptions(5, 3), 13);
        const long count = 20_000;
        var cpu = new TeacherSampleSource<double>(teacher, count, 7, noiseStd: 0.2);
        using var device = new DeviceTeacherSampleSource(_device, teacher, count, 7, noiseStd: 0.2);
        Assert.Equal((5, count), (device.Dimension, device.Count));
        // three threads read interleaved blocks of different sizes (each thread's buffers grow), as a pass's threads do
        var starts = new long[] { 0, 1, 777, 5000, 19_000, 19_999 };
        var sizes = new[] { 1, 700, 2048, 3, 999, 1 };
        Parallel.For(0, 3, new ParallelOptions { MaxDegreeOfParallelism = 3 }, t =>
        {
            for (int k = t; k < starts.Length; k += 3) Check(starts[k], sizes[k]);
        });
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => device.Read(count - 1, new double[2 * 5], new double[2]));
        Assert.Contains("outside", e.Message);

        void Check(long start, int n)
        {
            double[] x = new double[n * 5], y = new double[n], gx = new double[n * 5], gy = new double[n];
            cpu.Read(start, x, y);
            device.Read(start, gx, gy);
            // the device teacher stream's bounds (DeviceTeacherStreamGivesTheCpuStream)
            for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(x[i] - gx[i]) <= 1e-14 * (1 + Math.Abs(x[i])), $"x[{i}]: {x[i]} vs {gx[i]}");
            double scale = 1 + teacher.A.ToArray().Sum(Math.Abs) * 10;
            for (int i = 0; i < n; i++) Assert.True(Math.Abs(y[i] - gy[i]) <= 1e-13 * scale, $"y[{i}]: {y[i]} vs {gy[i]}");
        }
    }

    [Fact]
    public void DeviceLogMatchesMathLog()
    {
        var r = new Random(5);
        for (int i = 0; i < 100_000; i++)
        {
            double u = i < 3 ? new[] { 1.0, 0.5, double.Epsilon * 1e300 }[i] : (((ulong)r.NextInt64() >> 11) + 0.5) / (1UL << 53);
            double expected = Math.Log(u), got = DeviceGaussian.Log(u);
            Assert.True(Math.Abs(expected - got) <= 4e-16 * Math.Max(1, Math.Abs(expected)), $"ln {u}: {expected} vs {got}");
        }
    }

    [NoCudaFact]
    public void CudaWithoutADriverNamesTheMissingDriver()
    {
        var e = Assert.Throws<DeviceUnavailableException>(() => GpuMomentDevice.Open(ComputeDevice.Cuda(0)));
        Assert.Contains("--device cuda:0", e.Message);
        Assert.Contains("NVIDIA driver", e.Message);
    }

    [CudaFact]
    public void CudaKernelsMatchTheCpuAccelerator()
    {
        using GpuMomentDevice cuda = GpuMomentDevice.Open(ComputeDevice.Cuda(0));
        const int d = 33;
        double[] x = Gaussians<double>(5000 * d, 1), c = Gaussians<double>(5000, 2);
        var simd = new WeightedGramAccumulator<double>(d);
        simd.Accumulate(x, c);
        using IDeviceMoments<double> session = cuda.CreateWeightedGram<double>(d, 1);
        session.Accumulate(x, c);
        var gpu = new WeightedGramAccumulator<double>(d);
        gpu.AddState(Flushed(session));
        var abs = new WeightedGramAccumulator<double>(d);
        abs.Accumulate(x.Select(Math.Abs).ToArray(), c.Select(Math.Abs).ToArray());
        Compare(State(simd.StateLength, simd.CopyState), State(gpu.StateLength, gpu.CopyState), State(abs.StateLength, abs.CopyState),
            SumBound<double>(5000, 5000, 4));
        Assert.Throws<DeviceUnavailableException>(() => GpuMomentDevice.Open(ComputeDevice.Cuda(1000)));
    }

    private static double[] Flushed<T>(IDeviceMoments<T> session) where T : unmanaged, IBinaryFloatingPointIeee754<T>
    {
        var state = new double[session.StateLength];
        session.Flush(state);
        return state;
    }

    private static double[] State(int length, SpanAction copy)
    {
        var s = new double[length];
        copy(s);
        return s;
    }

    private delegate void SpanAction(Span<double> destination);

    private static void Compare(double[] simd, double[] gpu, double[] absolute, double gamma)
    {
        double bound = SumBound<double>(1, 1) + 2 * gamma;
        AssertWithin(simd, gpu, absolute.Select(v => bound * v + 1e-300).ToArray(), "GPU engine vs SIMD state");
    }
}
