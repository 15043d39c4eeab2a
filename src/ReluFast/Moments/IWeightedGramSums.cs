namespace ReluFast.Moments;

/// <summary>
/// Weighted sums over a feature vector f, what <see cref="QuarticSlices.Assemble"/> reads: sum_j c_lj, sum_j c_lj f_j and
/// sum_j c_lj f_j f_j^T for each of L weight vectors, over <see cref="Count"/> samples.
/// </summary>
internal interface IWeightedGramSums
{
    /// <summary>Dimension of f.</summary>
    int Dimension { get; }

    /// <summary>Number L of weight vectors.</summary>
    int WeightCount { get; }

    /// <summary>Number of samples accumulated.</summary>
    long Count { get; }

    /// <summary>sum_j c_lj.</summary>
    double WeightSum(int l);

    /// <summary>Copies sum_j c_lj f_j into <paramref name="destination"/>.</summary>
    void CopyFirstMoment(int l, Span<double> destination);

    /// <summary>Copies sum_j c_lj f_j f_j^T (full symmetric, row-major) into <paramref name="destination"/>.</summary>
    void CopyGram(int l, Span<double> destination);
}
