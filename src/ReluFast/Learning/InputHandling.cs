namespace ReluFast.Learning;

/// <summary>How the learner treats the law of the inputs (<see cref="LearnerOptions.Inputs"/>).</summary>
public enum InputHandling
{
    /// <summary>
    /// Estimate the mean and covariance of x in one pass (skipped for sources that draw x ~ N(0, I) by construction); when
    /// they are not those of N(0, I) within the sampling error, learn in whitened coordinates and map the network back.
    /// The same pass tests the marginals for Gaussianity (<see cref="LearnerOptions.AssumeGaussian"/>).
    /// </summary>
    Estimate,

    /// <summary>Trust that x ~ N(0, I): no input pass, no whitening and no Gaussianity test.</summary>
    StandardNormal,
}
