//! Outgoing mail through lettre: SMTP when configured, otherwise `.eml` files in a folder, so
//! a fresh install can still complete sign-up (the log says where each mail was written).

use std::path::PathBuf;

use lettre::message::header::{ContentTransferEncoding, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::Error;

/// Sends mail to members.
#[derive(Clone)]
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

#[derive(Clone)]
enum Transport {
    Files {
        dir: PathBuf,
        sender: AsyncFileTransport<Tokio1Executor>,
    },
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.transport {
            Transport::Files { dir, .. } => format!("files in {}", dir.display()),
            Transport::Smtp(_) => "smtp".to_owned(),
        };
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .field("transport", &kind)
            .finish()
    }
}

impl Mailer {
    /// Writes each mail as an `.eml` file into `dir` (created if missing).
    pub fn to_files(dir: PathBuf, from: &str) -> Result<Self, Error> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::Mail(format!("cannot create {}: {e}", dir.display())))?;
        let sender = AsyncFileTransport::<Tokio1Executor>::new(&dir);
        Ok(Mailer {
            from: parse_mailbox(from)?,
            transport: Transport::Files { dir, sender },
        })
    }

    /// Sends through the SMTP server in `url` (`smtps://user:pass@host:465`,
    /// `smtp://host:587?tls=required`, see lettre's URL format).
    pub fn smtp(url: &str, from: &str) -> Result<Self, Error> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| Error::Mail(format!("bad SMTP URL: {e}")))?
            .build();
        Ok(Mailer {
            from: parse_mailbox(from)?,
            transport: Transport::Smtp(transport),
        })
    }

    /// Sends a plain-text mail to one address.
    pub async fn send(&self, to: &str, subject: &str, body: String) -> Result<(), Error> {
        let message = self
            .builder(to, subject)?
            .body(plain_body(body))
            .map_err(|e| Error::Mail(e.to_string()))?;
        self.deliver(message, subject).await
    }

    /// Sends a mail with a plain-text and an HTML part, and, when `unsubscribe` is given, the
    /// one-click unsubscribe headers of RFC 8058 pointing at that URL.
    pub async fn send_alternative(
        &self,
        to: &str,
        subject: &str,
        text: String,
        html: String,
        unsubscribe: Option<&str>,
    ) -> Result<(), Error> {
        let mut builder = self.builder(to, subject)?;
        if let Some(url) = unsubscribe {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let parts = MultiPart::alternative()
            .singlepart(
                SinglePart::builder()
                    .header(lettre::message::header::ContentType::TEXT_PLAIN)
                    .body(plain_body(text)),
            )
            .singlepart(SinglePart::html(html));
        let message = builder
            .multipart(parts)
            .map_err(|e| Error::Mail(e.to_string()))?;
        self.deliver(message, subject).await
    }

    fn builder(&self, to: &str, subject: &str) -> Result<lettre::message::MessageBuilder, Error> {
        Ok(Message::builder()
            .from(self.from.clone())
            .to(parse_mailbox(to)?)
            .subject(subject))
    }

    async fn deliver(&self, message: Message, subject: &str) -> Result<(), Error> {
        match &self.transport {
            Transport::Files { dir, sender } => {
                let id = sender
                    .send(message)
                    .await
                    .map_err(|e| Error::Mail(e.to_string()))?;
                tracing::info!(mail.file = %dir.join(format!("{id}.eml")).display(), mail.subject = subject, "mail written to a file (no SMTP configured)");
            }
            Transport::Smtp(sender) => {
                sender
                    .send(message)
                    .await
                    .map_err(|e| Error::Mail(e.to_string()))?;
                tracing::info!(mail.subject = subject, "mail sent");
            }
        }
        Ok(())
    }
}

/// ASCII text with lines within SMTP's 998-byte limit goes as it is (7bit), so links stay
/// whole and clickable even in a raw `.eml` (lettre would choose quoted-printable for any
/// line over 76 characters and break them). Other text is encoded by lettre, which every
/// server accepts (8-bit text would need the server's 8BITMIME).
fn plain_body(text: String) -> Body {
    let text = text.replace("\r\n", "\n");
    if text.is_ascii() && text.lines().all(|line| line.len() <= 998) && !text.contains(['\0', '\r'])
    {
        Body::dangerous_pre_encoded(
            text.replace('\n', "\r\n").into_bytes(),
            ContentTransferEncoding::SevenBit,
        )
    } else {
        Body::new(text)
    }
}

fn parse_mailbox(address: &str) -> Result<Mailbox, Error> {
    address
        .parse()
        .map_err(|e| Error::Mail(format!("bad address {address:?}: {e}")))
}
