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
public sealed class GpuLearnerTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

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
}
