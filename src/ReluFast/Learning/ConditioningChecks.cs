using System.Globalization;
using System.Numerics.Tensors;
using ReluFast.Decomposition;
using ReluFast.Model;

namespace ReluFast.Learning;

/// <summary>
/// Ill-conditioning the learner reports instead of returning doubtful parameters silently: a pencil whose eigenvalues
/// nearly coincide, and nearly parallel (or nearly linearly dependent) directions w_i.
/// </summary>
internal static class ConditioningChecks
{
    /// <summary>A relative eigen-gap of the pencil below this makes its eigenvectors (the w~_i) unstable.</summary>
    public const double MinimumRelativeGap = 1e-3;

    /// <summary>Two unit directions with |cos| above this are nearly parallel.</summary>
    public const double ParallelCosine = 0.999;

    /// <summary>A condition number of the unit-row W above this flags near linear dependence of several w_i
    /// (two directions at |cos| = 0.999 alone give about 45).</summary>
    public const double MaximumConditionNumber = 1e3;

    /// <summary>A refined network leaving more than this fraction of Var y unexplained on held-out samples gets a warning.</summary>
    public const double MaximumRefinedRelativeMse = 1e-3;

    /// <summary>
    /// The <see cref="LearningWarningCode.UnexplainedVariance"/> warning of either learner: a refined network that leaves more than
    /// <see cref="MaximumRefinedRelativeMse"/> of Var y unexplained on held-out samples (null when it does not, or was not refined).
    /// </summary>
    public static LearningWarning? Unexplained(int hidden, double refinedRelativeMse, bool hiddenEstimated, LearnerMode mode)
    {
        if (!(refinedRelativeMse > MaximumRefinedRelativeMse)) return null;
        var inv = CultureInfo.InvariantCulture;
        string causes = mode == LearnerMode.Overcomplete
            ? (hiddenEstimated
                ? string.Create(inv, $"m = {hidden} was counted from the flattened moments' singular values above the noise floor: weaker ")
                    + "neurons stay uncounted until more samples lower the floor, or give a larger --hidden"
                : "too small --hidden")
            : hiddenEstimated
                ? string.Create(inv, $"m = {hidden} was counted from the T_2 eigenvalues above the noise floor: weaker neurons ") +
                    "stay uncounted until more samples lower the floor, or give a larger --hidden; or neurons sharing a direction, " +
                    "more neurons than inputs"
                : "neurons sharing a direction, more neurons than inputs, too small --hidden";
        string learner = mode == LearnerMode.Overcomplete ? "an overcomplete" : "a full-rank";
        return new LearningWarning(LearningWarningCode.UnexplainedVariance, string.Create(inv,
            $"after refinement the network still leaves {refinedRelativeMse:G3} of the variance of y unexplained on held-out samples: " +
                $"label noise, or structure {learner} network of this size cannot represent ({causes})"));
    }

    /// <summary>
    /// The warnings for the returned network, its pencil's relative eigen-gap and, when it was
    /// refined, its held-out MSE / Var y (NaN otherwise: the moment estimate alone carries its statistical error).
    /// </summary>
    /// <param name="network">The returned network.</param>
    /// <param name="relativeGap">Its pencil's relative eigen-gap (no warning when the refined network fits exactly).</param>
    /// <param name="refinedRelativeMse">Held-out MSE / Var y after refinement (NaN: not refined).</param>
    /// <param name="hiddenEstimated">m was counted from the T_2 spectrum (then weak neurons may have gone uncounted).</param>
    public static List<LearningWarning> Warnings(ReluNetwork network, double relativeGap, double refinedRelativeMse = double.NaN,
        bool hiddenEstimated = false)
    {
        var inv = CultureInfo.InvariantCulture;
        var warnings = new List<LearningWarning>();
        if (Unexplained(network.Hidden, refinedRelativeMse, hiddenEstimated, LearnerMode.FullRank) is LearningWarning unexplained)
            warnings.Add(unexplained);
        // the gap judges the moment estimate; a refinement that fits the held-out samples exactly has outgrown it
        if (relativeGap < MinimumRelativeGap && !(refinedRelativeMse <= LearningRun<double>.ExactFitRelativeMse))
            warnings.Add(new LearningWarning(LearningWarningCode.SmallEigenGap, string.Create(inv,
                $"the chosen pencil's relative eigen-gap is {relativeGap:G3} (< {MinimumRelativeGap:G1}): " +
                    $"two neurons have nearly equal eigenvalues, so their directions are ill-determined by the moments; " +
                    $"more samples or refinement are needed, and the moment estimate should not be trusted")));

        var unit = network.Normalized();
        int m = unit.Hidden;
        if (m < 2) return warnings;
        var gram = new double[m * m];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < m; j++)
                gram[i * m + j] = TensorPrimitives.Dot(unit.WeightsOf(i), unit.WeightsOf(j));
        for (int i = 0; i < m; i++)
            for (int j = 0; j < i; j++)
                if (Math.Abs(gram[i * m + j]) > ParallelCosine)
                    warnings.Add(new LearningWarning(LearningWarningCode.NearlyParallel, string.Create(inv,
                        $"neurons {j} and {i} are nearly parallel (|cos| = {Math.Abs(gram[i * m + j]):F6} > {ParallelCosine}): " +
                            $"W is ill-conditioned, so their individual a, w, b are poorly determined by the data (their sum may still fit); " +
                            $"check them against held-out data or merge them")));
        // more neurons than inputs (after swap rounds): the w_i are dependent by count; what identifies them is the linear
        // independence of the w_i w_i^T (docs/algorithm.md section 11), whose Gram is <w_i, w_j>^2
        bool pastInputs = m > unit.InputDim;
        if (pastInputs)
            for (int k = 0; k < gram.Length; k++) gram[k] *= gram[k];
        double condition = Math.Sqrt(DenseSolve.ConditionNumber(gram, m));
        if (!(condition <= MaximumConditionNumber))
            warnings.Add(new LearningWarning(LearningWarningCode.NearlyDependent, pastInputs
                ? string.Create(inv, $"the {m} learned directions outnumber the {unit.InputDim} inputs and their outer products w_i w_i^T " +
                    $"are nearly linearly dependent (condition number {condition:G3} > {MaximumConditionNumber:G1}): " +
                    $"the parameters are ill-determined")
                : string.Create(inv, $"the learned directions are nearly linearly dependent (condition number of W {condition:G3} > " +
                    $"{MaximumConditionNumber:G1}): the full-rank learner's parameters are ill-determined")));
        return warnings;
    }
}
