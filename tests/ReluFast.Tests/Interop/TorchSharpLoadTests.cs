using ReluFast.Interop;
using TorchSharp;
using static TorchSharp.torch;

namespace ReluFast.Tests.Interop;

/// <summary>
/// Proves libtorch loads (on Debian 12 this needs the build's GLIBCXX fix of libLibTorchSharp.so)
/// and that its dense linear algebra gives exact answers on matrices with known decompositions.
/// </summary>
public class TorchSharpLoadTests
{
    [Fact]
    public void LibTorchLoadsAndReportsItsVersion()
    {
        Assert.Matches(@"^\d+\.\d+", TorchRuntime.LibTorchVersion);
    }

    /// <summary>
    /// The build patches libLibTorchSharp.so once into obj/ and copies it from there (build/ReluFast.TorchSharpFixups.targets):
    /// the output's copy is that file with its time, so the next build's incremental copy skips it and the patching task (an
    /// inline task Roslyn compiles on every run, about 1.7 s) does not run. Patching the output's copy in place made every build
    /// copy and patch it again.
    /// </summary>
    [Fact]
    public void TheOutputsLibTorchSharpIsTheBuildsPatchedCopy()
    {
        if (!OperatingSystem.IsLinux()) return;
        string output = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        string patched = Path.Combine(AppContext.BaseDirectory.Replace("/bin/", "/obj/"), "relufast-patched", "libLibTorchSharp.so");
        Assert.True(File.Exists(patched), $"no patched copy at {patched}");
        Assert.Equal(File.GetLastWriteTimeUtc(patched), File.GetLastWriteTimeUtc(output));
        Assert.True(File.ReadAllBytes(patched).AsSpan().SequenceEqual(File.ReadAllBytes(output)), "the output's copy differs from obj/'s");
    }

    [Fact]
    public void SvdOfAKnownMatrixIsExact()
    {
        using var scope = NewDisposeScope();
        // A = Q1 diag(5, 3, 0.5) Q2^T with Q1, Q2 orthogonal (rotations built from known angles).
        double[] sigma = [5.0, 3.0, 0.5];
        var q1 = Rotation(0.3, 1.1, -0.7);
        var q2 = Rotation(-1.3, 0.4, 2.2);
        var a = q1.matmul(diag(tensor(sigma, dtype: float64))).matmul(q2.T);
        var (u, s, vh) = linalg.svd(a, fullMatrices: false);
        double[] got = s.data<double>().ToArray();
        for (int i = 0; i < 3; i++) Assert.Equal(sigma[i], got[i], 12);
        var rebuilt = u.matmul(diag(s)).matmul(vh);
        Assert.True((rebuilt - a).abs().max().item<double>() < 1e-12);
    }

    [Fact]
    public void SymmetricEigenSolveOfAKnownMatrixIsExact()
    {
        using var scope = NewDisposeScope();
        // [[2,1],[1,2]] has eigenvalues 1 and 3 with eigenvectors (1,-1)/sqrt2 and (1,1)/sqrt2.
        var m = tensor(new double[] { 2, 1, 1, 2 }, [2, 2], dtype: float64);
        var (values, vectors) = linalg.eigh(m);
        double[] ev = values.data<double>().ToArray();
        Assert.Equal(1.0, ev[0], 13);
        Assert.Equal(3.0, ev[1], 13);
        double[] v = vectors.data<double>().ToArray(); // row-major: column j is eigenvector j
        Assert.Equal(1.0 / Math.Sqrt(2), Math.Abs(v[1]), 13);
        Assert.Equal(1.0 / Math.Sqrt(2), Math.Abs(v[3]), 13);
        Assert.Equal(-Math.Sign(v[0]), Math.Sign(v[2])); // first eigenvector is +-(1, -1)
    }

    private static Tensor Rotation(double alpha, double beta, double gamma)
    {
        Tensor rx = tensor(new double[] { 1, 0, 0, 0, Math.Cos(alpha), -Math.Sin(alpha), 0, Math.Sin(alpha), Math.Cos(alpha) }, [3, 3],
            dtype: float64);
        Tensor ry = tensor(new double[] { Math.Cos(beta), 0, Math.Sin(beta), 0, 1, 0, -Math.Sin(beta), 0, Math.Cos(beta) }, [3, 3], dtype: float64);
        Tensor rz = tensor(new double[] { Math.Cos(gamma), -Math.Sin(gamma), 0, Math.Sin(gamma), Math.Cos(gamma), 0, 0, 0, 1 }, [3, 3],
            dtype: float64);
        return rx.matmul(ry).matmul(rz);
    }
}
