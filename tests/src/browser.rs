//! A real headless Chromium (Debian's `chromium`), driven through `chromedriver` with
//! WebDriver, for the widget's browser tests. Each [`Browser`] has its own driver process, its
//! own empty profile, and no network access beyond what the page asks of loopback.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use fantoccini::Locator;
use fantoccini::wd::Capabilities;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use tokio::process::{Child, Command};

use crate::{ADMIN_EMAIL, ADMIN_PASSWORD, eventually_within};

/// How long a browser test waits for what a page should show.
const PAGE_WAIT: Duration = Duration::from_secs(20);
/// The Enter key, for [`type_into`].
pub const ENTER: &str = "\u{e007}";

/// Asks `probe` every 100 ms until it answers, for up to [`PAGE_WAIT`].
pub async fn eventually<T>(
    what: &str,
    probe: impl AsyncFnMut() -> anyhow::Result<Option<T>>,
) -> anyhow::Result<T> {
    eventually_within(PAGE_WAIT, what, probe).await
}

/// The text of every element `selector` finds, in order (read from the DOM: WebDriver's element
/// text is empty for elements scrolled out of view).
pub async fn texts(browser: &Browser, selector: &str) -> anyhow::Result<Vec<String>> {
    let texts = browser
        .client
        .execute(
            "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent)",
            vec![serde_json::Value::from(selector)],
        )
        .await?;
    Ok(serde_json::from_value(texts)?)
}

/// Waits until an element `selector` finds shows `text`; the error says what they showed.
pub async fn shown(browser: &Browser, selector: &str, text: &str) -> anyhow::Result<()> {
    let found = eventually(&format!("`{text}` in {selector}"), async || {
        Ok(texts(browser, selector)
            .await?
            .iter()
            .any(|shown| shown.contains(text))
            .then_some(()))
    })
    .await;
    if let Err(error) = found {
        let showing = texts(browser, selector).await.unwrap_or_default();
        return Err(error.context(format!("{selector} shows {showing:?}")));
    }
    Ok(())
}

/// Clicks the element `selector` finds, once there is one.
pub async fn click(browser: &Browser, selector: &str) -> anyhow::Result<()> {
    browser
        .client
        .wait()
        .at_most(PAGE_WAIT)
        .for_element(Locator::Css(selector))
        .await?
        .click()
        .await?;
    Ok(())
}

/// Types `text` into the field `selector` finds, once there is one.
pub async fn type_into(browser: &Browser, selector: &str, text: &str) -> anyhow::Result<()> {
    let field = browser
        .client
        .wait()
        .at_most(PAGE_WAIT)
        .for_element(Locator::Css(selector))
        .await?;
    field.send_keys(text).await?;
    Ok(())
}

/// Empties the field `selector` finds, once there is one, as select-all and delete would (an
/// `input` event tells the page).
pub async fn clear_field(browser: &Browser, selector: &str) -> anyhow::Result<()> {
    set_field(browser, selector, "").await
}

/// Puts `value` in the field `selector` finds, once there is one, as pasting it over what it
/// held would (an `input` event tells the page): lines into a text area, a colour into a colour
/// picker.
pub async fn set_field(browser: &Browser, selector: &str, value: &str) -> anyhow::Result<()> {
    browser
        .client
        .wait()
        .at_most(PAGE_WAIT)
        .for_element(Locator::Css(selector))
        .await?;
    browser
        .client
        .execute(
            "const field = document.querySelector(arguments[0]); field.value = arguments[1]; \
             field.dispatchEvent(new Event('input', { bubbles: true }));",
            vec![
                serde_json::Value::from(selector),
                serde_json::Value::from(value),
            ],
        )
        .await?;
    Ok(())
}

/// Whether the page has an element `selector` finds, now.
pub async fn present(browser: &Browser, selector: &str) -> anyhow::Result<bool> {
    Ok(!texts(browser, selector).await?.is_empty())
}

/// Picks the option `value` of the select `select`.
pub async fn choose(browser: &Browser, select: &str, value: &str) -> anyhow::Result<()> {
    browser
        .client
        .wait()
        .at_most(PAGE_WAIT)
        .for_element(Locator::Css(&format!("{select} option[value='{value}']")))
        .await?
        .click()
        .await?;
    Ok(())
}

/// Opens the agent console at `base_url` and signs in as the first admin; answers once the
/// console shows.
pub async fn sign_in_to_console(browser: &Browser, base_url: &str) -> anyhow::Result<()> {
    sign_in_to_console_as(browser, base_url, ADMIN_EMAIL, ADMIN_PASSWORD).await
}

/// Opens the agent console at `base_url` and signs in as `email`; answers once the console
/// shows.
pub async fn sign_in_to_console_as(
    browser: &Browser,
    base_url: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<()> {
    browser.client.goto(&format!("{base_url}/")).await?;
    let element = async |selector: &str| {
        browser
            .client
            .wait()
            .at_most(PAGE_WAIT)
            .for_element(Locator::Css(selector))
            .await
    };
    element("input[type=email]").await?.send_keys(email).await?;
    element("input[type=password]")
        .await?
        .send_keys(password)
        .await?;
    element("form button[type=submit]").await?.click().await?;
    element(".console").await?;
    Ok(())
}

/// Where Debian puts them (`cargo xtask setup` installs `chromium` and `chromium-driver`).
const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Chromium's log in the profile's folder.
const CONSOLE_LOG: &str = "chromium.log";

/// A browser session, ended with its driver and Chromium when dropped.
pub struct Browser {
    pub client: Client,
    _driver: Child,
    profile: tempfile::TempDir,
    closed: bool,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless Chromium window of this size
    /// (Chromium keeps a window at least about 500 pixels wide).
    pub async fn start(width: u32, height: u32) -> anyhow::Result<Browser> {
        Self::launch(width, height, serde_json::Value::Null).await
    }

    /// A phone: Chromium's device emulation, with a viewport of this size in CSS pixels, a
    /// touch screen and a phone's user agent.
    pub async fn phone(width: u32, height: u32) -> anyhow::Result<Browser> {
        let emulation = serde_json::json!({
            "deviceMetrics": { "width": width, "height": height, "pixelRatio": 3.0, "touch": true },
            "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36"
        });
        Self::launch(width, height, emulation).await
    }

    async fn launch(
        width: u32,
        height: u32,
        mobile_emulation: serde_json::Value,
    ) -> anyhow::Result<Browser> {
        for program in [CHROMIUM, CHROMEDRIVER] {
            if !std::path::Path::new(program).exists() {
                bail!(
                    "{program} is missing: run `cargo xtask setup` (Debian's chromium and chromium-driver)"
                );
            }
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("cannot start chromedriver")?;
        let profile = tempfile::tempdir()?;
        let mut capabilities = Capabilities::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--autoplay-policy=no-user-gesture-required",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.path().display()),
                    // Every frame's console, cross-origin frames too, for `console_messages`.
                    "--enable-logging", "--v=0",
                    format!("--log-file={}", profile.path().join(CONSOLE_LOG).display()),
                ]
            }),
        );
        if !mobile_emulation.is_null()
            && let Some(options) = capabilities
                .get_mut("goog:chromeOptions")
                .and_then(|options| options.as_object_mut())
        {
            options.insert("mobileEmulation".into(), mobile_emulation);
        }
        let url = format!("http://127.0.0.1:{port}");
        let mut last_error = None;
        for _ in 0..50 {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => {
                    return Ok(Browser {
                        client,
                        _driver: driver,
                        profile,
                        closed: false,
                    });
                }
                Err(error) => last_error = Some(error),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        bail!("chromedriver did not start a session: {last_error:?}")
    }

    /// Saves a screenshot of the whole window under `target/screenshots/NAME.png`.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<std::path::PathBuf> {
        let folder = crate::target_dir().join("screenshots");
        std::fs::create_dir_all(&folder)?;
        let file = folder.join(format!("{name}.png"));
        std::fs::write(&file, self.client.screenshot().await?)?;
        Ok(file)
    }

    /// What every page and frame of this browser wrote to the console so far (`console.warn`
    /// and the browser's own notes such as a blocked autofocus), each message's text in order.
    pub fn console_messages(&self) -> Vec<String> {
        let log =
            std::fs::read_to_string(self.profile.path().join(CONSOLE_LOG)).unwrap_or_default();
        log.lines()
            .filter_map(|line| line.split_once(":CONSOLE").map(|(_, message)| message))
            .filter_map(|message| message.split_once("] \"").map(|(_, text)| text))
            .map(|text| {
                text.rsplit_once("\", source: ")
                    .map_or(text, |(text, _)| text)
                    .to_string()
            })
            .collect()
    }

    /// Closes the window and, when the value is dropped, the driver.
    pub async fn close(mut self) -> anyhow::Result<()> {
        self.closed = true;
        self.client.clone().close().await?;
        Ok(())
    }
}

impl Drop for Browser {
    /// A test that failed before it closed the window still ends the browser: killing only the
    /// driver would leave Chromium running.
    fn drop(&mut self) {
        if self.closed {
            return;
        }
        let client = self.client.clone();
        // Waiting inside a task is possible on a multi-threaded runtime only.
        if let Ok(runtime) = tokio::runtime::Handle::try_current()
            && runtime.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread
        {
            tokio::task::block_in_place(|| {
                let _ = runtime.block_on(async {
                    tokio::time::timeout(Duration::from_secs(10), client.close()).await
                });
            });
        }
    }
}

/// Whether the widget's loader drew its launcher on the page.
pub async fn launcher_drawn(browser: &Browser) -> anyhow::Result<bool> {
    let drawn = browser
        .client
        .execute(
            "return !!document.getElementById('switchboard-widget')",
            vec![],
        )
        .await?;
    Ok(drawn == serde_json::json!(true))
}

/// The loader's console messages for the site's owner among `messages`.
pub fn owner_warnings(messages: &[String]) -> Vec<&String> {
    messages
        .iter()
        .filter(|message| message.starts_with("Switchboard chat: "))
        .collect()
}

/// Opens `page` and waits until the widget's loader warned the site's owner; answers the
/// warnings this page wrote, once it has had time for more, and checks that it drew nothing and
/// left the page's `Switchboard` API in place.
pub async fn warnings_on(browser: &Browser, page: &str) -> anyhow::Result<Vec<String>> {
    let before = browser.console_messages().len();
    browser.client.goto(page).await?;
    let new_warnings = || {
        owner_warnings(&browser.console_messages()[before..])
            .into_iter()
            .cloned()
            .collect::<Vec<_>>()
    };
    eventually("a warning for the site's owner", async || {
        Ok((!new_warnings().is_empty()).then_some(()))
    })
    .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    anyhow::ensure!(!launcher_drawn(browser).await?, "{page} shows a launcher");
    let api = browser
        .client
        .execute("return typeof window.Switchboard.open", vec![])
        .await?;
    anyhow::ensure!(
        api == serde_json::json!("function"),
        "the page's calls still work: {api}"
    );
    Ok(new_warnings())
}

/// The texts of the chat's messages, in order.
pub async fn visible_messages(browser: &Browser) -> anyhow::Result<Vec<String>> {
    texts(browser, ".messages li:not(.greeting) .text").await
}

/// Steps into the chat's frame, which lives in the widget's shadow root, where WebDriver's
/// frame index cannot see it.
pub async fn enter_chat(browser: &Browser) -> anyhow::Result<()> {
    let frame = eventually("the chat frame", async || {
        let found = browser
            .client
            .execute("return document.getElementById('switchboard-widget').shadowRoot.querySelector('iframe')", vec![])
            .await?;
        Ok((!found.is_null()).then_some(found))
    })
    .await?;
    // A script's element comes back as a W3C element reference.
    let id = frame["element-6066-11e4-a52e-4f735466cecf"]
        .as_str()
        .context("an element reference")?;
    let frame = fantoccini::elements::Element::from_element_id(
        browser.client.clone(),
        id.to_string().into(),
    );
    let mut entered = frame.clone().enter_frame().await;
    for _ in 0..50 {
        if entered.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        entered = frame.clone().enter_frame().await;
    }
    entered?;
    Ok(())
}

/// Opens the chat through the host page's JavaScript API and steps into its frame.
pub async fn open_chat(browser: &Browser) -> anyhow::Result<()> {
    eventually("the loader", async || {
        let ready = browser.client.execute("return typeof window.Switchboard === 'object' && !!document.getElementById('switchboard-widget')", vec![]).await?;
        Ok((ready == serde_json::json!(true)).then_some(()))
    })
    .await?;
    browser
        .client
        .execute("window.Switchboard.open()", vec![])
        .await?;
    enter_chat(browser).await?;
    browser
        .client
        .wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css(".composer textarea, .prechat"))
        .await?;
    Ok(())
}
