namespace ReluFast.Learning;

/// <summary>
/// The inputs are not Gaussian (docs/algorithm.md section 17): the method of moments' identities do not hold, so the learner
/// refuses rather than return a network the data do not support. <see cref="LearnerOptions.AssumeGaussian"/> overrides it.
/// </summary>
public sealed class NonGaussianInputException : ArgumentException
{
    /// <summary>Creates the exception with the finding and the report behind it.</summary>
    public NonGaussianInputException(string message, InputReport report) : base(message) => Report = report;

    /// <summary>The statistics that failed the test.</summary>
    public InputReport Report { get; }
}
