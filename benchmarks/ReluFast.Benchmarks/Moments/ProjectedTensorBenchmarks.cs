using System.Numerics;
using BenchmarkDotNet.Attributes;
using ReluFast.Moments;
using static TorchSharp.torch;

namespace ReluFast.Benchmarks.Moments;

/// <summary>Projected symmetric 3-tensor sum c z (x) z (x) z (with the lower moments) of 8192 samples: SIMD (unique entries) vs libtorch einsum (full
/// m^3) vs a scalar loop (unique entries).</summary>
[Config(typeof(MomentBenchmarkConfig))]
[GenericTypeArguments(typeof(double))]
[GenericTypeArguments(typeof(float))]
public class ProjectedTensorBenchmarks<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private const int N = 8192;
    private T[] _z = [];
    private T[] _c = [];
    private ProjectedTensorAccumulator<T> _acc = null!;
    private Tensor _zt = null!, _ct = null!;
    private double[] _third = [];

    [Params(8, 32)]
    public int M { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _z = BenchmarkData.Gaussians<T>((long)N * M, 3);
        _c = BenchmarkData.Gaussians<T>(N, 4);
        _acc = new ProjectedTensorAccumulator<T>(M);
        _zt = BenchmarkData.Tensor(_z, N, M);
        _ct = BenchmarkData.Tensor(_c, 1, N);
        _third = new double[M * M * M];
    }

    [GlobalCleanup]
    public void Cleanup() { _zt.Dispose(); _ct.Dispose(); }

    [Benchmark(Baseline = true)]
    public long Simd()
    {
        _acc.Accumulate(_z, _c);
        return _acc.Count;
    }

    [Benchmark]
    public double Torch()
    {
        using var scope = NewDisposeScope();
        var (_, _, _, third) = TorchMomentEngine.TensorMoments(_zt, _ct);
        return third.sum().to(ScalarType.Float64).item<double>();
    }

    [Benchmark]
    public double Scalar()
    {
        int m = M;
        for (int s = 0; s < N; s++)
        {
            double c = double.CreateTruncating(_c[s]);
            for (int i = 0; i < m; i++)
            {
                double ci = c * double.CreateTruncating(_z[s * m + i]);
                for (int j = i; j < m; j++)
                {
                    double cij = ci * double.CreateTruncating(_z[s * m + j]);
                    for (int k = j; k < m; k++) _third[(i * m + j) * m + k] += cij * double.CreateTruncating(_z[s * m + k]);
                }
            }
        }
        return _third[0];
    }
}
