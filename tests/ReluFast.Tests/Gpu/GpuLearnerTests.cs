using ReluFast.Evaluation;
using ReluFast.Gpu;
using ReluFast.Interop;
using ReluFast.IO;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;
using ReluFast.Tests.Cli;
using ReluFast.Tests.IO;

namespace ReluFast.Tests.Gpu;

/// <summary>
/// The learner's device path (LearnerOptions.Device = cuda) on the GPU engine's kernels under ILGPU's CPU accelerator,
/// against the SIMD path, and what cuda does on a machine without a GPU.
/// </summary>
[Collection(CudaEngineRegistration.Name)]
public sealed class GpuLearnerTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose()
    {
        GpuMomentDevice.Register(); // what the CLI registers
        _dir.Dispose();
    }

    [Theory]
    [InlineData(typeof(double))]
    [InlineData(typeof(float))]
    public void DevicePathLearnsTheSameNetworkAsTheSimdPath(Type element)
    {
        var teacher = RandomTeacher.Create(new TeacherOptions(6, 3), 23);
        // cuda:0 opens the very kernels a GPU runs, on the CPU accelerator (no GPU here)
        ComputeDevice.RegisterCudaEngine(_ => GpuMomentDevice.OpenCpuAccelerator());
        LearningResult Learn(ComputeDevice device)
        {
            var options = new LearnerOptions { Hidden = 3, Seed = 5, Device = device, Threads = 2 };
            return element == typeof(double)
                ? MomentLearner.Learn(new TeacherSampleSource<double>(teacher, 60_000, 29), options)
                : MomentLearner.Learn(new TeacherSampleSource<float>(teacher, 60_000, 29), options);
        }
        LearningResult simd = Learn(ComputeDevice.Cpu), gpu = Learn(ComputeDevice.Cuda(0));
        NetworkComparison toTeacher = NetworkComparison.Compare(gpu.Network, teacher, 100_000);
        Assert.True(toTeacher.WError < 1e-4 && toTeacher.AError < 1e-4 && toTeacher.BError < 1e-4, $"device path vs teacher: {toTeacher}");
        // the moment sums differ by rounding only, and refinement converges to the same minimum
        NetworkComparison between = NetworkComparison.Compare(gpu.Network, simd.Network, 100_000);
        Assert.True(between.WError < 1e-6 && between.AError < 1e-6 && between.BError < 1e-6, $"device vs SIMD path: {between}");
    }

    [NoCudaFact]
    public void AskingForCudaWhereItIsAbsentIsAClearError()
    {
        GpuMomentDevice.Register();
        var teacher = RandomTeacher.Create(new TeacherOptions(6, 3), 91);
        var e = Assert.Throws<DeviceUnavailableException>(() =>
            MomentLearner.Learn(new TeacherSampleSource<double>(teacher, 100_000, 1), new LearnerOptions { Device = ComputeDevice.Cuda() }));
        Assert.Contains("--device cuda:0", e.Message);
        Assert.Contains("libcuda.so.1", e.Message);
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
        Assert.True(Math.Abs(simd.TargetVariance - torch.TargetVariance) <= 1e-12 * simd.TargetVariance, $"variance {simd.TargetVariance} vs {torch.TargetVariance}");
        Assert.True(Math.Abs(l1 - l2) <= 1e-12 * l1, $"loss {l1} vs {l2}");
        double scale = g1.Max(Math.Abs);
        for (int i = 0; i < p.Length; i++) Assert.True(Math.Abs(g1[i] - g2[i]) <= 1e-11 * scale, $"gradient[{i}]: {g1[i]} vs {g2[i]}");
    }
}
