using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace ReluFast.Decomposition;

/// <summary>
/// Small dense solves (least squares, so a singular system gives the minimum-norm answer instead of failing): in managed code up
/// to <see cref="DenseBackend.ManagedOrder"/>, through libtorch above.
/// </summary>
internal static class DenseSolve
{
    /// <summary>Solves A x = b for an n x n row-major A in the least-squares sense.</summary>
    /// <exception cref="ArgumentException">Shapes disagree.</exception>
    public static double[] Solve(ReadOnlySpan<double> a, int n, ReadOnlySpan<double> b)
    {
        if (a.Length != n * n || b.Length != n) throw new ArgumentException($"Expected an {n} x {n} matrix and {n} right-hand sides.");
        return DenseBackend.IsManaged(n) ? DenseMatrix.LeastSquares(a, n, n, b, 1) : SolveTorch(a, n, b);
    }

    /// <summary>The 2-norm condition number sigma_max / sigma_min of an n x n row-major matrix (infinity when singular).</summary>
    public static double ConditionNumber(ReadOnlySpan<double> a, int n)
    {
        var s = DenseBackend.IsManaged(n) ? JacobiSvd.Values(a, n, n) : SingularValuesTorch(a, n);
        return s[^1] > 0 ? s[0] / s[^1] : double.PositiveInfinity;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static double[] SolveTorch(ReadOnlySpan<double> a, int n, ReadOnlySpan<double> b)
    {
        using var scope = NewDisposeScope();
        var solution = TorchTensors.LeastSquares(TorchTensors.Matrix(a, n, n), TorchTensors.Vector(b).unsqueeze(1));
        return TorchTensors.ToArray(solution.squeeze(1));
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    internal static double[] SingularValuesTorch(ReadOnlySpan<double> a, int n)
    {
        using var scope = NewDisposeScope();
        return TorchTensors.ToArray(linalg.svdvals(TorchTensors.Matrix(a, n, n)));
    }
}
