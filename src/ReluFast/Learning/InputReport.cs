namespace ReluFast.Learning;

/// <summary>
/// What the input pass found about the law of x (docs/algorithm.md section 17): its mean and covariance, whether the network
/// was learned in whitened coordinates, and how far the marginals are from Gaussian.
/// </summary>
/// <param name="Whitened">Whether the learner worked in z = M (x - mu) (the mean or covariance is not N(0, I)'s).</param>
/// <param name="Dimension">Input dimension d.</param>
/// <param name="Rank">Directions in which x varies (r &lt; d: the network is learned on those r directions only).</param>
/// <param name="ConditionNumber">Largest over smallest kept eigenvalue of the covariance.</param>
/// <param name="Mean">The estimated mean mu.</param>
/// <param name="CovarianceEigenvalues">Eigenvalues of the estimated covariance, largest first.</param>
/// <param name="StandardStatistic">Largest deviation of (mu, Sigma) from (0, I) in units of its standard error.</param>
/// <param name="StandardThreshold">The level of <paramref name="StandardStatistic"/> below which the inputs count as N(0, I).</param>
/// <param name="LargestSkewness">The marginal skewness of largest magnitude (the coordinates of x and random directions).</param>
/// <param name="LargestExcessKurtosis">The marginal excess kurtosis of largest magnitude.</param>
/// <param name="SkewnessError">Standard error of a skewness under a Gaussian law, sqrt(6 / N).</param>
/// <param name="KurtosisError">Standard error of an excess kurtosis under a Gaussian law, sqrt(24 / N).</param>
/// <param name="Gaussian">Whether the marginals pass the test (skewness and kurtosis within tolerance or within their sampling error).</param>
/// <param name="Marginals">The marginals tested.</param>
public sealed record InputReport(bool Whitened, int Dimension, int Rank, double ConditionNumber, IReadOnlyList<double> Mean,
    IReadOnlyList<double> CovarianceEigenvalues, double StandardStatistic, double StandardThreshold, double LargestSkewness,
    double LargestExcessKurtosis, double SkewnessError, double KurtosisError, bool Gaussian, int Marginals);
