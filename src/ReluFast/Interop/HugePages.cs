using System.Runtime.InteropServices;

namespace ReluFast.Interop;

/// <summary>
/// Asks Linux to back a large, freshly allocated array with transparent huge pages (madvise MADV_HUGEPAGE) before it is first
/// written. Where the kernel's transparent huge pages are "madvise" (Debian's default) the first write of every 4 KiB page of a
/// fresh array is otherwise a fault of its own; on the virtual machines measured it cost 10 us a page, as much as generating the
/// samples that fill it (docs/passes.md, "Fresh pages"). A hint only: nothing depends on it being taken, and it is a no-op
/// elsewhere.
/// </summary>
internal static class HugePages
{
    private const int MadvHugePage = 14;
    private const long HugePage = 2 << 20;
    private static bool s_unavailable = !OperatingSystem.IsLinux();

    /// <summary>Advises the whole 4 KiB pages inside <paramref name="array"/> when it spans at least two huge pages.</summary>
    public static unsafe void Advise<T>(T[] array) where T : unmanaged
    {
        long bytes = (long)array.Length * sizeof(T);
        if (s_unavailable || bytes < 2 * HugePage) return;
        fixed (T* p = array)
        {
            nint start = ((nint)p + 4095) & ~(nint)4095, end = ((nint)p + (nint)bytes) & ~(nint)4095;
            try
            {
                _ = Madvise(start, (nuint)(end - start), MadvHugePage);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
            {
                s_unavailable = true;
            }
        }
    }

    [DllImport("libc", EntryPoint = "madvise")]
    private static extern int Madvise(nint address, nuint length, int advice);
}
