using System.Runtime.InteropServices;
using ReluFast.Interop;

namespace ReluFast.Native;

/// <summary>
/// Loads libtorch for the exports and, when that fails, finds out why. Under NativeAOT, TorchSharp's fallback
/// probe uses Assembly.Location (empty), so its own error is an ArgumentNullException that hides the real
/// loader failure; this class asks the dynamic loader directly for each library of the native set next to
/// librelufast.so and reports the first one that fails, with the loader's message.
/// </summary>
internal static unsafe partial class TorchLoader
{
    /// <summary>The libraries librelufast.so needs beside it, in dependency order.</summary>
    private static readonly string[] s_nativeSet = ["libc10.so", "libtorch_cpu.so", "libtorch.so", "libLibTorchSharp.so"];

    private static readonly Lazy<string> s_loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The libtorch version; throws <see cref="TorchUnavailableException"/> with the cause when it cannot be loaded.</summary>
    public static string EnsureLoaded() => s_loaded.Value;

    private static string Load()
    {
        try
        {
            TorchRuntime.EnsureLoaded();
            return TorchRuntime.LibTorchVersion;
        }
        catch (Exception e)
        {
            throw new TorchUnavailableException(Diagnose(e), e);
        }
    }

    private static string Diagnose(Exception original)
    {
        string? directory = OwnDirectory();
        if (directory is null)
            return $"libtorch could not be loaded ({original.Message}), and the directory of librelufast.so could not be " +
                $"determined to look for the cause.";
        foreach (string name in s_nativeSet)
        {
            string path = Path.Combine(directory, name);
            if (!File.Exists(path))
                return $"libtorch could not be loaded: {name} is missing from {directory}. librelufast.so needs libLibTorchSharp.so, libtorch.so, " +
                    $"libtorch_cpu.so, libc10.so and libgomp-*.so.1 in its own directory (native/build.sh publishes them there).";
            try
            {
                NativeLibrary.Load(path);
            }
            catch (Exception e)
            {
                string hint = e.Message.Contains("GLIBCXX", StringComparison.Ordinal)
                    ? " The system libstdc++ lacks a GLIBCXX version that libLibTorchSharp.so asks for: publish through MSBuild (native/build.sh) " +
                        "so that ReluFast's build step marks it weak in the published copy."
                    : string.Empty;
                return $"libtorch could not be loaded: the dynamic loader rejected {path}: {e.Message}{hint}";
            }
        }
        Exception root = original;
        while (root.InnerException is not null) root = root.InnerException;
        return $"libtorch could not be loaded through TorchSharp although every library of the native set in {directory} loads: " +
            $"{root.GetType().Name}: {root.Message}";
    }

    /// <summary>The directory of librelufast.so, from the dynamic loader's record of one of its exports.</summary>
    public static string? OwnDirectory()
    {
        try
        {
            DlInfo info;
            delegate* unmanaged<int> self = &Exports.ApiVersion;
            if (dladdr(self, &info) == 0 || info.FileName == null) return null;
            string? file = Marshal.PtrToStringUTF8((nint)info.FileName);
            if (string.IsNullOrEmpty(file)) return null;
            return Path.GetDirectoryName(Path.GetFullPath(file));
        }
        catch (Exception)
        {
            return null;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct DlInfo
    {
        public byte* FileName;
        public void* FileBase;
        public byte* SymbolName;
        public void* SymbolAddress;
    }

    [LibraryImport("libc.so.6")]
    private static partial int dladdr(void* address, DlInfo* info);
}
