using ReluFast.Evaluation;
using ReluFast.Learning;
using ReluFast.Model;
using ReluFast.Sampling;

namespace ReluFast.Tests;

/// <summary>The C# example of README.md, kept compiling and passing here (edit both together).</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void TheReadmeExampleLearnsItsTeacher()
    {
        // --- README example begins ---
        // A teacher f(x) = a^T relu(W^T x + b) with d = 10 inputs and m = 5 neurons, and 10^6 samples of it
        // generated on the fly (any ISampleSource<T> works: arrays, .npy files, your own black box).
        var teacher = RandomTeacher.Create(new TeacherOptions(InputDim: 10, Hidden: 5), seed: 7);
        var samples = new TeacherSampleSource<double>(teacher, count: 1_000_000, seed: 8);

        // Auto: pass 1 and a mode check, then (full rank) two more moment passes, the pencils, coefficients and L-BFGS refinement.
        var progress = new Progress<LearningProgress>(p => { if (p.Message.Length > 0) Console.WriteLine(p.Message); });
        LearningResult result = ReluLearner.Learn(samples, new LearnerOptions { Seed = 1 }, LearnerMode.Auto, progress);
        Console.WriteLine($"{result.Mode}: {result.Reason}");      // full rank or overcomplete, and why

        ReluNetwork model = result.Network;               // unit w_i, plus the linear remainder c0 + <c, x>
        Console.WriteLine($"m = {result.Hidden}, held-out MSE {result.HeldOutMse:E2}");

        // Compare with the truth: optimal matching of neurons, parameter errors, test MSE.
        var errors = NetworkComparison.Compare(model, teacher);
        Console.WriteLine($"w {errors.WError:E1}  a {errors.AError:E1}  b {errors.BError:E1}");

        // Evaluate on a batch without allocating: x is n x d row-major.
        var x = new double[3 * 10];
        var y = new double[3];
        model.Evaluate(x, y);
        // --- README example ends ---

        Assert.Equal(5, result.Hidden);
        Assert.True(errors.WError < 1e-4 && errors.AError < 1e-4 && errors.BError < 1e-4);
        Assert.Equal(teacher.Evaluate(new double[10]), y[0], 1e-8);
    }
}
