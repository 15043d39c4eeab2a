using System.Runtime.InteropServices;
using System.Text;

namespace ReluFast.Interop.Mpi;

/// <summary>The two MPI application binary interfaces the binding knows.</summary>
public enum MpiFlavor
{
    /// <summary>Open MPI (libmpi.so.40): handles are the addresses of exported objects, MPI_IN_PLACE is (void*)1.</summary>
    OpenMpi,

    /// <summary>MPICH and its ABI family (libmpich.so.12 / libmpi.so.12): handles are integer constants, MPI_IN_PLACE is (void*)-1.</summary>
    Mpich,
}

/// <summary>
/// A minimal binding of the system MPI (MPI_COMM_WORLD only): initialise, rank, size, an in-place sum of doubles,
/// abort, finalise. The library is opened at run time with <see cref="NativeLibrary"/> and called through function
/// pointers, so ReluFast needs no MPI to build or to run on one process; the flavour (Open MPI or MPICH) is detected
/// from the loaded library.
/// </summary>
/// <remarks>
/// <para>Use: <c>using var mpi = MpiSession.Initialize();</c> (or <see cref="TryInitialize"/>, which falls back to
/// <see cref="SingleProcessReducer"/> outside <c>mpirun</c>), then <c>new LearnerOptions { Reducer = mpi }</c>. Every
/// rank runs the same learner on the same source; each streams its own slice of the samples and the partial moments
/// are summed, so every rank ends with the same model. Let rank 0 alone write output files.</para>
/// <para>If a rank fails while the others wait in a collective, call <see cref="Abort"/> (not <see cref="Dispose"/>):
/// MPI_Finalize would wait for ranks that never arrive.</para>
/// <para>The library is searched in this order: the environment variable <c>RELUFAST_MPI_LIBRARY</c> (a path or a
/// name), then the flavour whose launcher started the process (Open MPI sets <c>OMPI_COMM_WORLD_SIZE</c>, MPICH's
/// Hydra sets <c>PMI_RANK</c>), then libmpi.so.40, libmpich.so.12, libmpi.so.12, libmpi.so.</para>
/// </remarks>
public sealed unsafe class MpiSession : IMomentReducer, IDisposable
{
    /// <summary>Environment variable naming the MPI library to load (a file path or a library name).</summary>
    public const string LibraryVariable = "RELUFAST_MPI_LIBRARY";

    private const int ThreadSerialized = 2;   // MPI_THREAD_SERIALIZED in both flavours
    private const int ChunkLength = 1 << 28;  // MPI counts are int

    // MPICH's predefined handles (mpi.h of MPICH 3.x/4.x, also Intel MPI and MVAPICH).
    private const int MpichCommWorld = 0x44000000;
    private const int MpichDouble = 0x4c00080b;
    private const int MpichSum = 0x58000003;

    private static readonly Lock s_gate = new();
    private static MpiSession? s_current;
    private static bool s_finalized;

    private readonly Lock _callGate = new();
    private readonly nint _library;
    private readonly bool _ownsInitialization;
    private readonly nint _comm, _double, _sum, _inPlace;
    private readonly nint _finalize, _commRank, _commSize, _allreduce, _bcast, _abort, _finalized;
    private bool _disposed;

    private MpiSession(nint library, string libraryName, MpiFlavor flavor, string version)
    {
        _library = library;
        LibraryName = libraryName;
        Flavor = flavor;
        LibraryVersion = version;

        nint initialized = Export("MPI_Initialized");
        nint initThread = Export("MPI_Init_thread");
        _finalize = Export("MPI_Finalize");
        _finalized = Export("MPI_Finalized");
        _commRank = Export("MPI_Comm_rank");
        _commSize = Export("MPI_Comm_size");
        _allreduce = Export("MPI_Allreduce");
        _bcast = Export("MPI_Bcast");
        _abort = Export("MPI_Abort");
        if (flavor == MpiFlavor.OpenMpi)
        {
            _comm = Export("ompi_mpi_comm_world");
            _double = Export("ompi_mpi_double");
            _sum = Export("ompi_mpi_op_sum");
            _inPlace = 1;
        }
        else
        {
            _comm = MpichCommWorld;
            _double = MpichDouble;
            _sum = MpichSum;
            _inPlace = -1;
        }

        int flag = 0;
        Check(((delegate* unmanaged<int*, int>)initialized)(&flag), "MPI_Initialized");
        if (flag == 0)
        {
            int provided = 0;
            Check(((delegate* unmanaged<int*, byte***, int, int*, int>)initThread)(null, null, ThreadSerialized, &provided), "MPI_Init_thread");
            ThreadLevel = provided;
            _ownsInitialization = true;
        }
        else
        {
            ThreadLevel = -1;
        }

        int rank = 0, size = 0;
        if (flavor == MpiFlavor.OpenMpi)
        {
            Check(((delegate* unmanaged<nint, int*, int>)_commRank)(_comm, &rank), "MPI_Comm_rank");
            Check(((delegate* unmanaged<nint, int*, int>)_commSize)(_comm, &size), "MPI_Comm_size");
        }
        else
        {
            Check(((delegate* unmanaged<int, int*, int>)_commRank)((int)_comm, &rank), "MPI_Comm_rank");
            Check(((delegate* unmanaged<int, int*, int>)_commSize)((int)_comm, &size), "MPI_Comm_size");
        }
        Rank = rank;
        Size = size;
    }

    /// <summary>Which MPI ABI the loaded library has.</summary>
    public MpiFlavor Flavor { get; }

    /// <summary>The library name or path that was loaded.</summary>
    public string LibraryName { get; }

    /// <summary>MPI_Get_library_version's first line (for example "Open MPI v4.1.4, ...").</summary>
    public string LibraryVersion { get; }

    /// <summary>The thread level MPI_Init_thread granted (2 = serialized, 3 = multiple), or -1 when MPI was already initialised by the
    /// host.</summary>
    public int ThreadLevel { get; }

    /// <inheritdoc />
    public int Rank { get; }

    /// <inheritdoc />
    public int Size { get; }

    /// <summary>Whether this process was started by an MPI launcher (mpirun/mpiexec of Open MPI or MPICH, or a PMI/PMIx resource manager).</summary>
    public static bool IsLaunchedByMpi =>
        HasVariable("OMPI_COMM_WORLD_SIZE") || HasVariable("PMI_RANK") || HasVariable("PMI_SIZE") || HasVariable("PMIX_RANK");

    /// <summary>
    /// Loads the system MPI, initialises it (MPI_Init_thread with MPI_THREAD_SERIALIZED unless the host already did)
    /// and returns the session for MPI_COMM_WORLD. Repeated calls return the same session until it is disposed.
    /// Outside <c>mpirun</c> this gives a one-process group (MPI singleton initialisation).
    /// </summary>
    /// <exception cref="MpiException">No MPI library was found, its flavour is unknown, or initialisation failed; the message says which.</exception>
    public static MpiSession Initialize()
    {
        lock (s_gate)
        {
            if (s_current is { _disposed: false }) return s_current;
            if (s_finalized) throw new MpiException("MPI was finalised in this process; the MPI standard does not allow initialising it again.");
            var (library, name) = LoadLibrary();
            try
            {
                var flavor = DetectFlavor(library, name, out string version);
                s_current = new MpiSession(library, name, flavor, version);
                return s_current;
            }
            catch (MpiException) { NativeLibrary.Free(library); throw; }
            catch (EntryPointNotFoundException e)
            {
                NativeLibrary.Free(library);
                throw new MpiException($"{name} lacks an MPI function ReluFast needs: {e.Message}", e);
            }
        }
    }

    /// <summary>
    /// The reducer a command-line run should use: the MPI session when the process was started by an MPI launcher
    /// (<see cref="IsLaunchedByMpi"/>), otherwise <see cref="SingleProcessReducer.Instance"/>, which needs no MPI library.
    /// Dispose the result when it is an <see cref="MpiSession"/> (<c>(reducer as IDisposable)?.Dispose()</c>).
    /// </summary>
    /// <exception cref="MpiException">The process was started by an MPI launcher but MPI could not be loaded or initialised.
    /// (Falling back to one process would make every rank learn from all the samples and write the same output.)</exception>
    public static IMomentReducer TryInitialize() => IsLaunchedByMpi ? Initialize() : SingleProcessReducer.Instance;

    /// <inheritdoc />
    public void AllreduceSum(Span<double> values)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (values.IsEmpty) return;
        lock (_callGate)
        {
            fixed (double* start = values)
            {
                for (int offset = 0; offset < values.Length; offset += ChunkLength)
                {
                    int count = Math.Min(ChunkLength, values.Length - offset);
                    double* p = start + offset;
                    // MPI does not promise that every rank gets the same rounding from MPI_Allreduce; rank 0's sum is
                    // broadcast so the ranks' later decisions (m, candidates, refinement) cannot diverge.
                    if (Flavor == MpiFlavor.OpenMpi)
                    {
                        Check(((delegate* unmanaged<void*, void*, int, nint, nint, nint, int>)_allreduce)((void*)_inPlace, p, count, _double, _sum,
                            _comm), "MPI_Allreduce");
                        Check(((delegate* unmanaged<void*, int, nint, int, nint, int>)_bcast)(p, count, _double, 0, _comm), "MPI_Bcast");
                    }
                    else
                    {
                        Check(((delegate* unmanaged<void*, void*, int, int, int, int, int>)_allreduce)((void*)_inPlace, p, count, (int)_double,
                            (int)_sum, (int)_comm), "MPI_Allreduce");
                        Check(((delegate* unmanaged<void*, int, int, int, int, int>)_bcast)(p, count, (int)_double, 0, (int)_comm), "MPI_Bcast");
                    }
                }
            }
        }
    }

    /// <summary>
    /// Ends every rank of MPI_COMM_WORLD with <paramref name="errorCode"/> (MPI_Abort). Use it when this rank fails
    /// while the others may be waiting in a collective. Normally does not return.
    /// </summary>
    public void Abort(int errorCode)
    {
        if (Flavor == MpiFlavor.OpenMpi) ((delegate* unmanaged<nint, int, int>)_abort)(_comm, errorCode);
        else ((delegate* unmanaged<int, int, int>)_abort)((int)_comm, errorCode);
    }

    /// <summary>Calls MPI_Finalize if this session initialised MPI (collective: every rank must dispose its session).</summary>
    public void Dispose()
    {
        lock (s_gate)
        {
            if (_disposed) return;
            _disposed = true;
            if (!_ownsInitialization) return;
            int finalized = 0;
            ((delegate* unmanaged<int*, int>)_finalized)(&finalized);
            if (finalized == 0) Check(((delegate* unmanaged<int>)_finalize)(), "MPI_Finalize");
            s_finalized = true;
        }
    }

    private nint Export(string name) => NativeLibrary.GetExport(_library, name);

    private static void Check(int code, string function)
    {
        if (code != 0) throw new MpiException($"{function} failed with MPI error code {code}.");
    }

    private static bool HasVariable(string name) => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name));

    private static (nint Handle, string Name) LoadLibrary()
    {
        var candidates = new List<string>();
        string? configured = Environment.GetEnvironmentVariable(LibraryVariable);
        if (!string.IsNullOrWhiteSpace(configured)) candidates.Add(configured);
        string[] openMpi = ["libmpi.so.40", "libmpi.40.dylib"];
        string[] mpich = ["libmpich.so.12", "libmpi.so.12", "libmpich.12.dylib"];
        if (HasVariable("OMPI_COMM_WORLD_SIZE")) { candidates.AddRange(openMpi); candidates.AddRange(mpich); }
        else { if (HasVariable("PMI_RANK")) candidates.AddRange(mpich); candidates.AddRange(openMpi); candidates.AddRange(mpich); }
        candidates.AddRange(["libmpi.so", "libmpich.so", "libmpi.dylib"]);

        var tried = new List<string>();
        foreach (string name in candidates.Distinct(StringComparer.Ordinal))
        {
            if (NativeLibrary.TryLoad(name, out nint handle)) return (handle, name);
            tried.Add(name);
        }
        throw new MpiException(
            $"No MPI library could be loaded (tried {string.Join(", ", tried)}). Install Open MPI or MPICH " +
            $"(Debian: apt-get install openmpi-bin, or mpich) or set {LibraryVariable} to the library's path.");
    }

    private static MpiFlavor DetectFlavor(nint library, string name, out string version)
    {
        version = string.Empty;
        if (NativeLibrary.TryGetExport(library, "MPI_Get_library_version", out nint getVersion))
        {
            // MPI_MAX_LIBRARY_VERSION_STRING is 256 in Open MPI and 8192 in MPICH; callable before MPI_Init (MPI-3).
            byte[] buffer = new byte[8192];
            int length = 0;
            fixed (byte* p = buffer)
                if (((delegate* unmanaged<byte*, int*, int>)getVersion)(p, &length) == 0)
                    version = Encoding.UTF8.GetString(buffer, 0, Math.Clamp(length, 0, buffer.Length)).Split('\n')[0].Trim().TrimEnd('\0');
        }
        if (NativeLibrary.TryGetExport(library, "ompi_mpi_comm_world", out _)) return MpiFlavor.OpenMpi;
        if (version.Contains("MPICH", StringComparison.OrdinalIgnoreCase) || version.Contains("Intel", StringComparison.OrdinalIgnoreCase)
            || version.Contains("MVAPICH", StringComparison.OrdinalIgnoreCase))
            return MpiFlavor.Mpich;
        throw new MpiException($"{name} is an MPI library ReluFast does not know (version \"{version}\"): only Open MPI and the " +
            $"MPICH ABI family are supported.");
    }
}
