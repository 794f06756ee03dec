//! The stdlib as files editors can open: go to definition into `std::process::Tank` needs
//! a `file:` location, and the stdlib lives inside the compiler. The embedded files are
//! written once to a cache directory named by their content hash
//! (`$PLANT_LSP_STD_DIR`, else `$XDG_CACHE_HOME/plantc/std-<hash>`, else
//! `~/.cache/plantc/std-<hash>`, else the temp directory), read-only. Two servers of the same
//! version share it; another version writes its own. The server maps those paths back to
//! `std/<module>.plant`, so an opened stdlib file is the embedded one (and refuses renames).

use std::path::{Path, PathBuf};

/// A stable hash of the embedded stdlib (FNV-1a), so the directory changes with it.
fn hash() -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (path, text) in plantc::stdlib::FILES {
        for b in path.bytes().chain([0]).chain(text.bytes()).chain([0]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

fn candidates() -> Vec<PathBuf> {
    let name = format!("std-{:016x}", hash());
    let mut out = Vec::new();
    if let Some(d) = std::env::var_os("PLANT_LSP_STD_DIR") {
        out.push(PathBuf::from(d));
    }
    if let Some(d) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        out.push(PathBuf::from(d).join("plantc").join(&name));
    }
    if let Some(h) = std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        out.push(PathBuf::from(h).join(".cache").join("plantc").join(&name));
    }
    out.push(std::env::temp_dir().join("plantc").join(name));
    out
}

/// Write the stdlib (if not there already) and return the directory that holds it: the
/// files are `<dir>/<module>.plant`. `None` when no candidate directory is writable.
pub fn materialize() -> Option<PathBuf> {
    candidates().into_iter().find(|d| write_into(d).is_ok())
}

fn write_into(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    for (path, text) in plantc::stdlib::FILES {
        let name = path.trim_start_matches("std/");
        let target = dir.join(name);
        if std::fs::read_to_string(&target).is_ok_and(|t| t == *text) {
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // Write beside and rename, so a concurrent server never reads half a file.
        let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
        std::fs::write(&tmp, text)?;
        let mut perms = std::fs::metadata(&tmp)?.permissions();
        perms.set_readonly(true);
        std::fs::set_permissions(&tmp, perms)?;
        if let Err(e) = std::fs::rename(&tmp, &target) {
            let _ = std::fs::remove_file(&tmp);
            // Another server may have written it meanwhile.
            if !std::fs::read_to_string(&target).is_ok_and(|t| t == *text) {
                return Err(e);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes_every_module_read_only() {
        let dir = std::env::temp_dir().join(format!("plant-lsp-std-test-{}", std::process::id()));
        super::write_into(&dir).unwrap();
        super::write_into(&dir).unwrap(); // idempotent
        for (path, text) in plantc::stdlib::FILES {
            let f = dir.join(path.trim_start_matches("std/"));
            assert_eq!(std::fs::read_to_string(&f).unwrap(), *text);
            assert!(std::fs::metadata(&f).unwrap().permissions().readonly());
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
