namespace ReluFast.Learning;

/// <summary>Outcome of <see cref="LbfgsMinimizer.Minimize"/>.</summary>
/// <param name="Value">Objective at the returned point.</param>
/// <param name="Iterations">Iterations performed.</param>
/// <param name="Evaluations">Objective/gradient evaluations performed.</param>
/// <param name="Converged">Whether a tolerance (not the iteration limit) stopped it.</param>
/// <param name="Stopped">Whether the caller's monitor stopped it (<see cref="LbfgsMinimizer.Monitor"/>).</param>
internal readonly record struct LbfgsResult(double Value, int Iterations, int Evaluations, bool Converged, bool Stopped = false);

/// <summary>
/// Limited-memory BFGS (Nocedal and Wright, Algorithm 7.4/7.5) with a backtracking Armijo line search;
/// curvature pairs with s^T y &lt;= 0 are skipped, which keeps the inverse-Hessian model positive definite.
/// Runs in double precision on a flat parameter vector.
/// </summary>
internal static class LbfgsMinimizer
{
    /// <summary>Computes f(x) and writes its gradient into the second argument.</summary>
    public delegate double Objective(ReadOnlySpan<double> x, Span<double> gradient);

    /// <summary>
    /// Looks at the iterate after <paramref name="iterations"/> iterations (0: the start) with its objective value, and returns
    /// true to stop there (e.g. early stopping against a held-out error).
    /// </summary>
    public delegate bool Monitor(int iterations, ReadOnlySpan<double> x, double value);

    /// <summary>Minimises <paramref name="objective"/> from <paramref name="x"/> (updated in place).</summary>
    /// <param name="objective">The function and its gradient.</param>
    /// <param name="x">Start on entry, the minimiser found on exit.</param>
    /// <param name="maxIterations">Iteration limit.</param>
    /// <param name="history">Number of curvature pairs kept.</param>
    /// <param name="gradientTolerance">Stop when the gradient's infinity norm falls below this.</param>
    /// <param name="relativeTolerance">Stop when an iteration lowers f by less than this relative amount, twice in a row.</param>
    /// <param name="valueTarget">Stop as soon as f falls to this value (an exact fit needs no further digits).</param>
    /// <param name="cancellationToken">Checked every iteration.</param>
    /// <param name="monitor">Called at the start and after every iteration; stops the minimisation when it returns true.</param>
    public static LbfgsResult Minimize(Objective objective, Span<double> x, int maxIterations = 1000, int history = 20,
        double gradientTolerance = 1e-12, double relativeTolerance = 1e-15, double valueTarget = 0, CancellationToken cancellationToken = default,
        Monitor? monitor = null)
    {
        ArgumentNullException.ThrowIfNull(objective);
        int n = x.Length;
        var g = new double[n];
        var gNew = new double[n];
        var xNew = new double[n];
        var direction = new double[n];
        var s = new double[history][];
        var y = new double[history][];
        var rho = new double[history];
        var alpha = new double[history];
        for (int i = 0; i < history; i++) { s[i] = new double[n]; y[i] = new double[n]; }
        int stored = 0, newest = -1, evaluations = 1, iteration = 0, stalls = 0;
        double f = objective(x, g);
        if (!double.IsFinite(f)) throw new ArithmeticException("The objective is not finite at the starting point.");
        if (monitor is not null && monitor(0, x, f)) return new LbfgsResult(f, 0, evaluations, true, Stopped: true);
        double gamma = 1;
        for (; iteration < maxIterations; iteration++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (MaxAbs(g) < gradientTolerance || f <= valueTarget) return new LbfgsResult(f, iteration, evaluations, true);

            // Two-loop recursion: direction = -H g.
            g.CopyTo(direction, 0);
            for (int k = 0; k < stored; k++)
            {
                int i = (newest - k + history) % history;
                alpha[i] = rho[i] * Dot(s[i], direction);
                Axpy(-alpha[i], y[i], direction);
            }
            Scale(direction, gamma);
            for (int k = stored - 1; k >= 0; k--)
            {
                int i = (newest - k + history) % history;
                double beta = rho[i] * Dot(y[i], direction);
                Axpy(alpha[i] - beta, s[i], direction);
            }
            Scale(direction, -1);
            double slope = Dot(direction, g);
            if (!(slope < 0))
            {
                // Not a descent direction (lost curvature information): restart from steepest descent.
                stored = 0;
                for (int i = 0; i < n; i++) direction[i] = -g[i];
                slope = -Dot(g, g);
                gamma = 1;
            }

            // Backtracking Armijo line search; the first iteration scales the step to a unit move.
            double step = stored == 0 && iteration == 0 ? Math.Min(1, 1 / Math.Sqrt(-slope)) : 1;
            double fNew = double.NaN;
            bool accepted = false;
            for (int trial = 0; trial < 60; trial++)
            {
                for (int i = 0; i < n; i++) xNew[i] = x[i] + step * direction[i];
                fNew = objective(xNew, gNew);
                evaluations++;
                if (double.IsFinite(fNew) && fNew <= f + 1e-4 * step * slope) { accepted = true; break; }
                step *= double.IsFinite(fNew) ? Math.Clamp(-0.5 * slope * step * step / (fNew - f - slope * step) / step, 0.1, 0.5) : 0.1;
            }
            if (!accepted) return new LbfgsResult(f, iteration, evaluations, true);

            // Curvature pair.
            int slot = (newest + 1) % history;
            double sy = 0, yy = 0;
            for (int i = 0; i < n; i++)
            {
                s[slot][i] = xNew[i] - x[i];
                y[slot][i] = gNew[i] - g[i];
                sy += s[slot][i] * y[slot][i];
                yy += y[slot][i] * y[slot][i];
            }
            if (sy > 1e-300 && yy > 0)
            {
                rho[slot] = 1 / sy;
                newest = slot;
                stored = Math.Min(stored + 1, history);
                gamma = sy / yy;
            }

            double decrease = f - fNew;
            xNew.CopyTo(x);
            gNew.CopyTo(g, 0);
            f = fNew;
            stalls = decrease <= relativeTolerance * Math.Max(Math.Abs(f), 1e-300) ? stalls + 1 : 0;
            if (stalls >= 2 || f == 0) return new LbfgsResult(f, iteration + 1, evaluations, true);
            if (monitor is not null && monitor(iteration + 1, x, f)) return new LbfgsResult(f, iteration + 1, evaluations, true, Stopped: true);
        }
        return new LbfgsResult(f, iteration, evaluations, false);
    }

    private static double Dot(double[] a, double[] b)
    {
        double sum = 0;
        for (int i = 0; i < a.Length; i++) sum += a[i] * b[i];
        return sum;
    }

    private static void Axpy(double alpha, double[] x, double[] y)
    {
        for (int i = 0; i < x.Length; i++) y[i] += alpha * x[i];
    }

    private static void Scale(double[] x, double alpha)
    {
        for (int i = 0; i < x.Length; i++) x[i] *= alpha;
    }

    private static double MaxAbs(double[] x)
    {
        double max = 0;
        foreach (double v in x) max = Math.Max(max, Math.Abs(v));
        return max;
    }
}
