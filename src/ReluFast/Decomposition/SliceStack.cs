using static TorchSharp.torch;

namespace ReluFast.Decomposition;

/// <summary>The polished factors of a slice stack and the evidence of the polish.</summary>
/// <param name="Factors">n x k, unit columns.</param>
/// <param name="Diagonals">s x k: the least-squares d_s with X[:, :, s] ~ A diag(d_s) A^T.</param>
/// <param name="StartResidual">Relative Frobenius residual of the starting factors.</param>
/// <param name="Residual">Relative Frobenius residual of the polished factors.</param>
/// <param name="Iterations">Polish iterations run.</param>
internal sealed record PolishedStack(Tensor Factors, Tensor Diagonals, double StartResidual, double Residual, int Iterations);

/// <summary>
/// A stack of symmetric slices X[:, :, s] = A diag(D[s]) A^T (n x n x s, A of k unit columns) and the one
/// alternating-least-squares polish that every decomposition here ends with (docs/algorithm.md section 7).
/// </summary>
/// <remarks>
/// Stopping rule of the polish: it stops at the iteration cap, or when a step would not lower the relative residual
/// (the best point is kept), or when the step moves no factor entry by 1e-13 or more, or when it lowers the relative
/// residual by less than <see cref="RelativeDecrease"/> of itself.
/// </remarks>
internal static class SliceStack
{
    /// <summary>The polish stops once one iteration lowers the relative residual by less than this fraction of itself.</summary>
    public const double RelativeDecrease = 1e-5;

    /// <summary>Columns scaled to unit length (a zero column stays zero).</summary>
    public static Tensor NormalizeColumns(Tensor a)
    {
        // Not linalg.vector_norm, which passes its order as a temporary Scalar (TorchTensors.Scaled says why that fails).
        return a / TorchTensors.ClampMin(TorchTensors.Square(a).sum([0L], keepdim: true).sqrt(), 1e-300);
    }

    /// <summary>Least-squares diagonals D (s x k) with X[:, :, s] ~ A diag(D[s]) A^T.</summary>
    public static Tensor SolveDiagonals(Tensor stack, Tensor a)
    {
        int n = (int)a.shape[0];
        int s = (int)stack.shape[2];
        var kr = einsum("ir,jr->ijr", a, a).reshape(n * n, a.shape[1]);
        var rhs = stack.reshape(n * n, s);
        return TorchTensors.LeastSquares(kr, rhs).T;
    }

    /// <summary>||X - A diag(D) A^T||_F / <paramref name="stackNorm"/>.</summary>
    public static double Residual(Tensor stack, Tensor a, Tensor d, double stackNorm)
    {
        var model = einsum("ir,jr,sr->ijs", a, a, d);
        return (stack - model).norm().item<double>() / stackNorm;
    }

    /// <summary>
    /// Polishes A over all slices: A &lt;- X_(1) (D kr A) [(D^T D) o (A^T A)]^{-1}, unit columns, D re-solved; see the
    /// remarks for the stopping rule.
    /// </summary>
    public static PolishedStack Polish(Tensor stack, Tensor start, int maxIterations)
    {
        double stackNorm = Math.Max(stack.norm().item<double>(), 1e-300);
        var polished = NormalizeColumns(start);
        var diagonals = SolveDiagonals(stack, polished);
        double residual = Residual(stack, polished, diagonals, stackNorm);
        double startResidual = residual;
        int iterations = 0;
        for (; iterations < maxIterations; iterations++)
        {
            // Each iteration's temporaries (several m^3 tensors) die with it: in the caller's scope they were kept to its end,
            // about 130 MB an iteration at m = 128, 24 GB for the learner's candidates.
            using var step = NewDisposeScope();
            var r = einsum("ijs,sr,jr->ir", stack, diagonals, polished);
            var g = diagonals.T.matmul(diagonals) * polished.T.matmul(polished);
            var next = NormalizeColumns(TorchTensors.LeastSquares(g, r.T).T);
            var nextDiagonals = SolveDiagonals(stack, next);
            double nextResidual = Residual(stack, next, nextDiagonals, stackNorm);
            if (!(nextResidual <= residual * (1 + 1e-12))) break; // keep the best point; stop on divergence
            double change = (next - polished).abs().max().item<double>();
            double previous = residual;
            step.MoveToOuter(next, nextDiagonals);
            polished.Dispose();
            diagonals.Dispose();
            polished = next;
            diagonals = nextDiagonals;
            residual = nextResidual;
            if (change < 1e-13 || previous - residual < RelativeDecrease * previous) { iterations++; break; }
        }
        return new PolishedStack(polished, diagonals, startResidual, residual, iterations);
    }

    /// <summary>
    /// Jennrich's step over random pencils: the real eigenvectors of pencil(t) for t = 0..trials-1, keeping the pencil
    /// whose eigenvalues score best under <paramref name="gap"/>.
    /// </summary>
    public static (Tensor Vectors, double Gap) BestPencil(int trials, Func<int, Tensor> pencil, Func<Tensor, double> gap)
    {
        Tensor? best = null;
        double bestGap = double.NegativeInfinity;
        for (int t = 0; t < trials; t++)
        {
            var (values, vectors) = linalg.eig(pencil(t));
            double score = gap(values);
            if (score > bestGap)
            {
                bestGap = score;
                best = vectors.real.contiguous();
            }
        }
        return (best!, bestGap);
    }
}
