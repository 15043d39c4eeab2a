namespace ReluFast.Learning;

/// <summary>The steps of the full-rank learner (docs/algorithm.md sections 5-10).</summary>
public enum LearningStage
{
    /// <summary>Reading the pilot prefix and the refinement/held-out samples.</summary>
    Pilot,
    /// <summary>Pass 1: t0, t1 and T_2.</summary>
    SecondMoments,
    /// <summary>Pass 2: the projected third/fourth-order tensor.</summary>
    ProjectedTensor,
    /// <summary>Pencil decomposition of each candidate.</summary>
    Decomposition,
    /// <summary>Pass 3: per-neuron Hermite coefficients.</summary>
    Coefficients,
    /// <summary>L-BFGS refinement of the candidates.</summary>
    Refinement,
    /// <summary>Finished.</summary>
    Done,
    /// <summary>Overcomplete learner: a pass over the flattened fourth/fifth-order moments (the span pass, or the projected slices).</summary>
    FlattenedMoments,

    /// <summary>The input pass: mean, covariance and marginal skewness and kurtosis of x (docs/algorithm.md section 17).</summary>
    InputLaw,
}

/// <summary>Progress of a learning run.</summary>
/// <param name="Stage">The step under way.</param>
/// <param name="SamplesDone">Samples processed in this step (0 for steps that do not stream samples).</param>
/// <param name="SamplesTotal">Samples this step will process.</param>
/// <param name="Elapsed">Time spent in this step so far.</param>
/// <param name="Message">A human-readable line about what was found or is being done.</param>
public readonly record struct LearningProgress(LearningStage Stage, long SamplesDone, long SamplesTotal, TimeSpan Elapsed, string Message)
{
    /// <summary>True for the passes of the mode check (<see cref="ReluLearner.ChooseMode{T}"/>) that run before the learner itself.</summary>
    public bool ModeCheck { get; init; }
}
