use super::*;

#[test]
fn file_and_environment_override_defaults() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "gateway.toml",
            "[server]\nlisten = \"127.0.0.1:9000\"\n[http]\nsession_hours = 2\n",
        )?;
        jail.set_env("SWITCHBOARD_HTTP__SESSION_HOURS", "3");
        let config =
            Config::load(Some(Path::new("gateway.toml"))).map_err(|error| error.to_string())?;
        assert_eq!(config.server.listen.port(), 9000);
        assert_eq!(config.http.session_hours, 3);
        assert_eq!(config.server.public_url, "http://127.0.0.1:9000");
        assert_eq!(config.store.path, PathBuf::from("data/store"));
        Ok(())
    });
}

#[test]
fn sign_up_without_the_installations_mail_is_refused_naming_both() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("gateway.toml", "[signup]\nenabled = true\n")?;
        let error = Config::load(Some(Path::new("gateway.toml"))).expect_err("no mail");
        for key in ["signup.enabled", "system_mail.host"] {
            assert!(error.to_string().contains(key), "{error:#}");
        }
        jail.create_file(
            "gateway.toml",
            "[signup]\nenabled = true\n[system_mail]\nhost = \"smtp.example.com\"\nfrom = \"Switchboard <no-reply@example.com>\"\nsecurity = \"ssl\"\n",
        )?;
        let error = Config::load(Some(Path::new("gateway.toml"))).expect_err("a bad security");
        assert!(
            error.to_string().contains("system_mail.security"),
            "{error:#}"
        );
        Ok(())
    });
}

#[test]
fn a_short_operator_token_is_refused_naming_its_key() {
    let mut config = Config::default();
    config.operator.token = "short".into();
    let error = config.api().expect_err("too short");
    assert!(error.to_string().contains("operator.token"), "{error:#}");
    config.operator.token = "  a token of twenty-four characters  ".into();
    assert_eq!(
        config.api().expect("long enough").operator_token.as_deref(),
        Some("a token of twenty-four characters")
    );
}

#[test]
fn the_example_file_lists_the_defaults() {
    let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../switchboard.example.toml");
    let text = std::fs::read_to_string(&example).expect("the example configuration");
    let parsed: Config = toml::from_str(&text).expect("the example parses");
    let as_toml = |config: &Config| toml::to_string(config).expect("serializable");
    assert_eq!(as_toml(&parsed), as_toml(&Config::default()));
}

/// A PostgreSQL store without a URL it can use, or a bus without the shared store it links,
/// is refused at start, naming the key.
#[test]
fn a_shared_store_or_bus_set_up_wrong_is_refused_naming_the_key() {
    figment::Jail::expect_with(|jail| {
        let refused = |jail: &mut figment::Jail, toml: &str| {
            jail.create_file("gateway.toml", toml)?;
            Ok::<_, figment::Error>(
                Config::load(Some(Path::new("gateway.toml")))
                    .expect_err("refused")
                    .to_string(),
            )
        };
        let error = refused(jail, "[store]\nbackend = \"postgres\"\n")?;
        assert!(error.contains("store.url"), "{error}");
        let error = refused(
            jail,
            "[store]\nbackend = \"postgres\"\nurl = \"mysql://db/x\"\n",
        )?;
        assert!(error.contains("store.url"), "{error}");
        let error = refused(jail, "[bus]\nurl = \"nats://127.0.0.1:4222\"\n")?;
        assert!(
            error.contains("bus.url") && error.contains("postgres"),
            "{error}"
        );
        let error = refused(
            jail,
            "[store]\nbackend = \"postgres\"\nurl = \"postgres://db/x\"\n[bus]\nurl = \"redis://x\"\n",
        )?;
        assert!(error.contains("bus.url"), "{error}");
        let error = refused(jail, "[store]\nfiles_path = \"/mnt/files\"\n")?;
        assert!(
            error.contains("store.files_path") && error.contains("postgres"),
            "{error}"
        );
        let error = refused(
            jail,
            "[store]\nbackend = \"postgres\"\nurl = \"postgres://db/x\"\nfiles_path = \"shared-files\"\n",
        )?;
        assert!(
            error.contains("store.files_path shared-files is not a folder"),
            "{error}"
        );
        std::fs::create_dir(jail.directory().join("shared-files")).expect("the share, mounted");
        jail.create_file(
            "gateway.toml",
            "[store]\nbackend = \"postgres\"\nurl = \"postgres://db/x\"\nfiles_path = \"shared-files\"\n[bus]\nurl = \"nats://127.0.0.1:4222\"\n",
        )?;
        Config::load(Some(Path::new("gateway.toml"))).expect("a shared store and bus");
        Ok(())
    });
}

#[test]
fn a_listener_certificate_without_its_key_or_that_cannot_be_read_is_named() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("gateway.toml", "[mail]\ntls_certificate = \"cert.pem\"\n")?;
        let error = Config::load(Some(Path::new("gateway.toml")))
            .expect_err("a certificate without its key");
        assert!(error.to_string().contains("mail.tls_key"), "{error:#}");
        jail.create_file(
            "gateway.toml",
            "[mail]\ntls_certificate = \"cert.pem\"\ntls_key = \"key.pem\"\n",
        )?;
        jail.create_file("cert.pem", "not a certificate")?;
        jail.create_file("key.pem", "not a key")?;
        let error = Config::load(Some(Path::new("gateway.toml")))
            .expect_err("files that hold no certificate");
        assert!(
            format!("{error:#}").contains(
                "mail.tls_certificate and mail.tls_key: the certificate file holds no certificate"
            ),
            "{error:#}"
        );
        Ok(())
    });
}

#[test]
fn trusted_proxies_take_addresses_and_blocks_and_name_a_bad_entry() {
    figment::Jail::expect_with(|jail| {
        jail.create_file(
            "gateway.toml",
            "[server]\ntrusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n",
        )?;
        let config =
            Config::load(Some(Path::new("gateway.toml"))).map_err(|error| error.to_string())?;
        let networks = config
            .server
            .trusted_networks()
            .map_err(|error| error.to_string())?;
        assert_eq!(networks.len(), 2);
        jail.create_file(
            "bad.toml",
            "[server]\ntrusted_proxies = [\"10.0.0.0/33\"]\n",
        )?;
        let error = Config::load(Some(Path::new("bad.toml"))).expect_err("not a block");
        assert!(format!("{error:#}").contains("10.0.0.0/33"), "{error:#}");
        Ok(())
    });
}

#[test]
fn sessions_are_secure_cookies_behind_an_https_address() {
    figment::Jail::expect_with(|jail| {
        jail.set_env(
            "SWITCHBOARD_SERVER__PUBLIC_URL",
            "https://support.example.com",
        );
        let config = Config::load(None).map_err(|error| error.to_string())?;
        assert!(
            config
                .api()
                .map_err(|error| error.to_string())?
                .secure_cookies
        );
        jail.set_env("SWITCHBOARD_SERVER__PUBLIC_URL", "http://127.0.0.1:8080");
        let config = Config::load(None).map_err(|error| error.to_string())?;
        assert!(
            !config
                .api()
                .map_err(|error| error.to_string())?
                .secure_cookies
        );
        Ok(())
    });
}

#[test]
fn unknown_keys_are_named() {
    figment::Jail::expect_with(|jail| {
        jail.create_file("gateway.toml", "[http]\nmax_body = 5\n")?;
        let error =
            Config::load(Some(Path::new("gateway.toml"))).expect_err("an unknown key must fail");
        assert!(format!("{error:#}").contains("max_body"), "{error:#}");
        Ok(())
    });
}
