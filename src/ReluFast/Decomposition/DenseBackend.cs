using System.Runtime.CompilerServices;

namespace ReluFast.Decomposition;

/// <summary>
/// The one rule that sends a dense problem to the managed linear algebra (<see cref="DenseMatrix"/>) or to libtorch (LAPACK and
/// MKL): a matrix factorisation (eigen- or singular values, least squares, products) of order at most <see cref="ManagedOrder"/>
/// and a slice-stack decomposition (<see cref="PencilDecomposition"/>, <see cref="SlicePencil"/>) of at most
/// <see cref="ManagedStackOrder"/> components run in managed code; larger ones go to libtorch.
/// </summary>
/// <remarks>
/// Loading libtorch costs about 0.5 s of CPU (its operator registration) before the first solve. A managed eigendecomposition of
/// order 64 takes about 1 ms and of order 128 about 10 ms (3x libtorch's single-threaded time); a slice-stack decomposition
/// costs about m^4 per polish iteration in either, managed 1.2-1.7x libtorch's time at m = 32 and 64. So a run whose dense
/// problems stay within these orders (d and m up to 64, the auto mode's flattened moments for d up to 23, the Fisher information
/// of up to 128 parameters) never loads libtorch. The choice depends on the size only, so a run gives the same bits however it
/// was reached.
/// </remarks>
internal static class DenseBackend
{
    /// <summary>The largest order of a matrix factorised in managed code (rows and columns; a taller matrix by its columns).</summary>
    public const int ManagedOrder = 128;

    /// <summary>
    /// The largest order of a symmetric eigendecomposition run in managed code (<see cref="SymmetricSpectrum"/>): the mode check's
    /// flattened spectra reach D = 276 at d = 23, where a managed decomposition takes about 40 ms (values alone about a fifth of
    /// that) against libtorch's 8 ms after its load of 0.25 to 0.5 s, which the rest of such a run does not need.
    /// </summary>
    public const int ManagedSymmetricOrder = 300;

    /// <summary>Whether a symmetric eigendecomposition of this order runs in managed code.</summary>
    public static bool IsManagedSymmetric(int order) => order <= ManagedSymmetricOrder;

    /// <summary>The largest number of components of a slice-stack decomposition run in managed code.</summary>
    public const int ManagedStackOrder = 64;

    /// <summary>Whether a matrix problem of this order is solved in managed code.</summary>
    public static bool IsManaged(int order) => order <= ManagedOrder;

    /// <summary>Whether a slice-stack decomposition of this many components runs in managed code.</summary>
    public static bool IsManagedStack(int components) => components <= ManagedStackOrder;

    /// <summary>
    /// Runs <paramref name="body"/>, which decomposes independent slice stacks of this many components in parallel (one per core),
    /// with libtorch's intra-op threads set to 1 when such stacks go to libtorch (its threads only add synchronisation on small
    /// matrices); managed decompositions need no setting, so libtorch stays unloaded.
    /// </summary>
    public static void WithSingleTorchThread(int components, Action body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (IsManagedStack(components)) body();
        else OnSingleTorchThread(body);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void OnSingleTorchThread(Action body)
    {
        int threads = TorchSharp.torch.get_num_threads();
        TorchSharp.torch.set_num_threads(1);
        try
        {
            body();
        }
        finally
        {
            TorchSharp.torch.set_num_threads(threads);
        }
    }
}
