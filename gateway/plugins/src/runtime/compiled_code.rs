//! The compiled-code cache: a component this engine compiled before is read back from the
//! cache folder instead of being compiled again, under a name that holds the engine's
//! compatibility hash; the least recently used files go first when the cache is full.

use std::path::PathBuf;

use wasmtime::component::Component;

use super::Runtime;
use crate::PluginError;
use crate::cache::{CACHED, evict_least_recently_used};

impl Runtime {
    /// The component, from the cache when this engine compiled it before (the file is then
    /// marked as just used), else compiled now; `true` when it was compiled now.
    pub(super) fn compile(
        &self,
        wasm: &[u8],
        sha256: &str,
    ) -> Result<(Component, bool), PluginError> {
        if let Some(path) = self.cache_path(sha256)
            && let Ok(bytes) = std::fs::read(&path)
        {
            // SAFETY: the file was written by `Component::serialize` of this very engine
            // configuration (its compatibility hash is in the name) into the gateway's own data
            // folder; anyone able to replace it could already replace the gateway itself.
            #[allow(unsafe_code)]
            match unsafe { Component::deserialize(&self.engine, &bytes) } {
                Ok(component) => {
                    let _ = std::fs::File::options()
                        .write(true)
                        .open(&path)
                        .and_then(|file| file.set_modified(std::time::SystemTime::now()));
                    return Ok((component, false));
                }
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "ignoring an unusable cached component")
                }
            }
        }
        let component = Component::new(&self.engine, wasm)
            .map_err(|error| PluginError::Invalid(format!("{error:#}")))?;
        Ok((component, true))
    }

    fn cache_path(&self, sha256: &str) -> Option<PathBuf> {
        let dir = self.config.cache_dir.as_ref()?;
        Some(dir.join(format!("{}-{sha256}.{CACHED}", self.compatibility())))
    }

    /// Keeps the compiled code of a component that was accepted, then drops the files used
    /// least recently until the cache is within its size.
    pub(super) fn cache(&self, component: &Component, sha256: &str) {
        let (Some(path), Some(dir)) = (self.cache_path(sha256), &self.config.cache_dir) else {
            return;
        };
        match component.serialize() {
            Ok(bytes) => {
                let partial = path.with_extension("partial");
                if let Err(error) =
                    std::fs::write(&partial, bytes).and_then(|()| std::fs::rename(&partial, &path))
                {
                    tracing::warn!(path = %path.display(), %error, "cannot cache compiled code");
                }
            }
            Err(error) => tracing::warn!(%error, "cannot serialize compiled code"),
        }
        evict_least_recently_used(dir, self.config.cache_max_bytes, &path);
    }

    /// A short hash of everything that makes compiled code usable by this engine.
    fn compatibility(&self) -> String {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.engine
            .precompile_compatibility_hash()
            .hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    }
}
