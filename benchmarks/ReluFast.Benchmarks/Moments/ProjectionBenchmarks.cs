using System.Numerics;
using BenchmarkDotNet.Attributes;
using ReluFast.Moments;
using static TorchSharp.torch;

namespace ReluFast.Benchmarks.Moments;

/// <summary>z = U^T x for 8192 samples (pass 2's projection): SIMD vs libtorch matmul vs a scalar loop.</summary>
[Config(typeof(MomentBenchmarkConfig))]
[GenericTypeArguments(typeof(double))]
[GenericTypeArguments(typeof(float))]
public class ProjectionBenchmarks<T> where T : unmanaged, IBinaryFloatingPointIeee754<T>
{
    private const int N = 8192;
    private T[] _x = [], _u = [], _z = [];
    private Tensor _xt = null!, _ut = null!;

    [Params(16, 64, 256)]
    public int D { get; set; }

    [Params(8, 32)]
    public int M { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _x = BenchmarkData.Gaussians<T>((long)N * D, 8);
        _u = BenchmarkData.Gaussians<T>((long)D * M, 9);
        _z = new T[N * M];
        _xt = BenchmarkData.Tensor(_x, N, D);
        _ut = BenchmarkData.Tensor(_u, D, M);
    }

    [GlobalCleanup]
    public void Cleanup() { _xt.Dispose(); _ut.Dispose(); }

    [Benchmark(Baseline = true)]
    public T Simd()
    {
        Projection.Project<T>(_x, D, _u, M, _z);
        return _z[0];
    }

    [Benchmark]
    public double Torch()
    {
        using var scope = NewDisposeScope();
        return _xt.matmul(_ut).sum().to(ScalarType.Float64).item<double>();
    }

    [Benchmark]
    public T Scalar()
    {
        int d = D, m = M;
        for (int j = 0; j < N; j++)
            for (int c = 0; c < m; c++)
            {
                T s = T.Zero;
                for (int i = 0; i < d; i++) s += _x[j * d + i] * _u[i * m + c];
                _z[j * m + c] = s;
            }
        return _z[0];
    }
}
