using System.Runtime.InteropServices;
using TorchSharp;

namespace ReluFast.Interop;

/// <summary>
/// Loads libtorch through TorchSharp once, and turns a failure to load into an error that says what
/// is missing instead of TorchSharp's type-initializer exception.
/// </summary>
internal static class TorchRuntime
{
    private static readonly Lazy<string> s_version = new(LoadCore, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The libtorch version TorchSharp loaded (for example "2.10.0"). Loads libtorch on first use.</summary>
    /// <exception cref="TorchUnavailableException">libtorch or its TorchSharp bridge could not be loaded.</exception>
    public static string LibTorchVersion => s_version.Value;

    /// <summary>The TorchSharp managed assembly version.</summary>
    public static string TorchSharpVersion =>
        typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown";

    /// <summary>Makes sure libtorch is loaded; throws <see cref="TorchUnavailableException"/> with the cause otherwise.</summary>
    public static void EnsureLoaded() => _ = s_version.Value;

    private static string LoadCore()
    {
        try
        {
            return torch.__version__;
        }
        catch (Exception e)
        {
            Exception root = e;
            while (root.InnerException is not null) root = root.InnerException;
            string hint = RuntimeInformation.IsOSPlatform(OSPlatform.Linux) && root.Message.Contains("GLIBCXX", StringComparison.Ordinal)
                ? " The system libstdc++ lacks a GLIBCXX version that libLibTorchSharp.so asks for; " +
                    "build through MSBuild (dotnet build/run/test/publish) so that ReluFast's build step patches the copy in the output."
                : string.Empty;
            throw new TorchUnavailableException($"libtorch could not be loaded through TorchSharp: {root.Message}{hint}", e);
        }
    }
}

/// <summary>Thrown when libtorch (TorchSharp's native back end) cannot be loaded or a requested device is absent.</summary>
public sealed class TorchUnavailableException : Exception
{
    /// <summary>Creates the exception with a message and the underlying cause.</summary>
    public TorchUnavailableException(string message, Exception? inner = null) : base(message, inner) { }
}
