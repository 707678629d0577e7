use crate::catalog::Blocking;
use crate::rule::declare_rule;

declare_rule! {
    /// ## What it does
    /// Finds password hashing and key derivation in async code: `bcrypt`, `argon2`
    /// (`hash_password`, `verify_password`, rust-argon2's `hash_encoded`), `scrypt`,
    /// `pbkdf2` and `ring::pbkdf2`.
    ///
    /// ## Why is this bad?
    /// These functions are slow on purpose: a single call costs tens to hundreds of
    /// milliseconds of CPU. Run on a worker thread, one login request stalls every task queued
    /// behind it, and a burst of logins stalls the whole server.
    ///
    /// ## Example
    /// ```rust,ignore
    /// async fn login(password: String, hash: String) -> bool {
    ///     bcrypt::verify(password, &hash).unwrap_or(false)
    /// }
    /// ```
    ///
    /// ## Use instead
    /// ```rust,ignore
    /// async fn login(password: String, hash: String) -> bool {
    ///     tokio::task::spawn_blocking(move || bcrypt::verify(password, &hash).unwrap_or(false))
    ///         .await
    ///         .unwrap_or(false)
    /// }
    /// ```
    pub static CPU_HEAVY_HASH = {
        name: "cpu-heavy-hash",
        severity: Warning,
        default: enabled,
        summary: "deliberately slow password hashing in async code",
    }
}

const WHY: &str =
    "it is deliberately slow: tens to hundreds of milliseconds of CPU on the worker thread";
const INSTEAD: &str =
    "run the hashing in `tokio::task::spawn_blocking` (or on a rayon pool) and `.await` the result";

const fn hash_fn(path: &'static str) -> Blocking {
    Blocking::func(path, WHY, INSTEAD)
}

const fn hash_method(ty: &'static str, method: &'static str) -> Blocking {
    Blocking::method(ty, method, WHY, INSTEAD)
}

pub(crate) const CATALOG: &[&[Blocking]] = &[&[
    hash_fn("bcrypt::hash"),
    hash_fn("bcrypt::hash_with_result"),
    hash_fn("bcrypt::hash_with_salt"),
    hash_fn("bcrypt::verify"),
    hash_fn("argon2::hash_encoded"),
    hash_fn("argon2::hash_raw"),
    hash_fn("argon2::verify_encoded"),
    hash_fn("argon2::verify_raw"),
    hash_fn("argon2::PasswordHasher::hash_password"),
    hash_fn("argon2::PasswordVerifier::verify_password"),
    hash_fn("password_hash::PasswordHasher::hash_password"),
    hash_fn("password_hash::PasswordVerifier::verify_password"),
    hash_method("argon2::Argon2", "hash_password"),
    hash_method("argon2::Argon2", "hash_password_into"),
    hash_method("argon2::Argon2", "verify_password"),
    hash_method("argon2::PasswordHash", "verify_password"),
    hash_fn("scrypt::scrypt"),
    hash_method("scrypt::Scrypt", "hash_password"),
    hash_method("scrypt::Scrypt", "verify_password"),
    hash_fn("pbkdf2::pbkdf2"),
    hash_fn("pbkdf2::pbkdf2_hmac"),
    hash_fn("pbkdf2::pbkdf2_hmac_array"),
    hash_method("pbkdf2::Pbkdf2", "hash_password"),
    hash_method("pbkdf2::Pbkdf2", "verify_password"),
    hash_fn("ring::pbkdf2::derive"),
    hash_fn("ring::pbkdf2::verify"),
]];
