namespace ReluFast.Sampling;

/// <summary>
/// A source that draws x itself and so knows its law. When <see cref="IsStandardNormal"/>, x ~ N(0, I_d) by construction and the
/// learner skips the input pass that would estimate the mean and covariance (docs/algorithm.md section 17): an estimate of a
/// known law can only add its sampling error, and the pass costs as much as a moment pass (at d = 784 more than pass 1).
/// </summary>
internal interface IKnownInputLaw
{
    /// <summary>Whether x ~ N(0, I_d) exactly.</summary>
    bool IsStandardNormal { get; }
}
