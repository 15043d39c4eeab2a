namespace ReluFast.Learning;

/// <summary>Which learner runs: chosen from the data, or forced.</summary>
public enum LearnerMode
{
    /// <summary>Decide from the spectra of T_2 and of the flattened fourth/fifth-order moments (<see cref="ReluLearner.ChooseMode"/>).</summary>
    Auto,
    /// <summary>The full-rank learner (m &lt;= d, linearly independent w_i; <see cref="MomentLearner"/>).</summary>
    FullRank,
    /// <summary>The overcomplete learner (m up to d(d+1)/2; <see cref="OvercompleteLearner"/>).</summary>
    Overcomplete,
}
