using static TorchSharp.torch;

namespace ReluFast.Decomposition;

/// <summary>Small dense solves through libtorch (least squares, so a singular system gives the minimum-norm answer instead of failing).</summary>
internal static class DenseSolve
{
    /// <summary>Solves A x = b for an n x n row-major A in the least-squares sense.</summary>
    /// <exception cref="ArgumentException">Shapes disagree.</exception>
    public static double[] Solve(ReadOnlySpan<double> a, int n, ReadOnlySpan<double> b)
    {
        if (a.Length != n * n || b.Length != n) throw new ArgumentException($"Expected an {n} x {n} matrix and {n} right-hand sides.");
        using var scope = NewDisposeScope();
        var solution = TorchTensors.LeastSquares(TorchTensors.Matrix(a, n, n), TorchTensors.Vector(b).unsqueeze(1));
        return TorchTensors.ToArray(solution.squeeze(1));
    }

    /// <summary>The 2-norm condition number sigma_max / sigma_min of an n x n row-major matrix (infinity when singular).</summary>
    public static double ConditionNumber(ReadOnlySpan<double> a, int n)
    {
        using var scope = NewDisposeScope();
        var s = TorchTensors.ToArray(linalg.svdvals(TorchTensors.Matrix(a, n, n)));
        return s[^1] > 0 ? s[0] / s[^1] : double.PositiveInfinity;
    }
}
