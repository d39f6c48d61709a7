//! The chat screen of `msrp chat` for a person at the terminal: the
//! conversation scrolls above a status line ("Bob is typing…", progress
//! bars) and the input line. The terminal is in raw mode (crossterm) so
//! that every keystroke is seen (isComposing) and the screen is redrawn
//! around incoming messages; the mode is restored however the chat ends.

use std::collections::{HashMap, VecDeque};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::terminal::{self, ClearType};
use crossterm::{cursor, queue, style::Print};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle, TermLike};
use msrp_chat::chat::ReceivedMessage;
use msrp_chat::cpim::Address;
use msrp_proto::MsrpUri;
use time::{OffsetDateTime, UtcOffset};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::{Command, Context, Outgoing, View, What, clock, files, label, parse_line};
use crate::error::CliError;

/// A plain line before the chat screen starts (cooked mode).
pub(crate) fn note(text: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}

/// The input line's prompt.
const PROMPT: &str = "> ";

/// Typing indications at most this often.
const TYPING_EVERY: Duration = Duration::from_secs(1);

/// Lines remembered for delivery marks.
const KEEP_LINES: usize = 1000;

/// Raw mode, left on drop (also on errors and panics).
struct RawMode;

impl RawMode {
    fn enable() -> io::Result<Self> {
        terminal::enable_raw_mode()?;
        Ok(Self)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = terminal::disable_raw_mode();
    }
}

/// Text from the peer made safe to print: no control characters (escape
/// sequences could take over the terminal), tabs as spaces.
fn clean(text: &str) -> String {
    text.chars()
        .filter(|&c| c != '\r')
        .map(|c| match c {
            '\n' => '\n',
            '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// The longest start of `text` that is at most `max` columns wide.
fn fit(text: &str, max: usize) -> String {
    let mut used = 0;
    text.chars()
        .take_while(|c| {
            used += c.width().unwrap_or(0);
            used <= max
        })
        .collect()
}

/// A short form of a message for notes about it.
fn snippet(text: &str) -> String {
    let one_line = text.replace('\n', " ");
    let short = fit(&one_line, 30);
    if short.len() < one_line.len() {
        format!("“{short}…”")
    } else {
        format!("“{short}”")
    }
}

/// A line printed above the prompt: where its last row ends.
struct Printed {
    id: u64,
    rows: usize,
    end_col: usize,
}

/// The terminal: printed lines scroll up, the status and input lines stay
/// at the bottom. The cursor rests on the input line.
struct Screen {
    width: usize,
    height: usize,
    lines: VecDeque<Printed>,
    next_id: u64,
    prompt_drawn: bool,
    /// The cursor's column on the input line.
    cursor_col: usize,
}

impl Screen {
    fn new() -> Self {
        let (width, height) = Self::size();
        Self {
            width,
            height,
            lines: VecDeque::new(),
            next_id: 0,
            prompt_drawn: false,
            cursor_col: 0,
        }
    }

    fn size() -> (usize, usize) {
        match terminal::size() {
            Ok((w, h)) if w >= 10 && h >= 3 => (usize::from(w), usize::from(h)),
            _ => (80, 24),
        }
    }

    fn resize(&mut self) {
        (self.width, self.height) = Self::size();
        // The terminal reflowed what it shows: old positions are unknown.
        self.lines.clear();
    }

    /// Rows and the end column of `text` (lines separated by `\n`).
    fn measure(&self, text: &str) -> (usize, usize) {
        let mut rows = 0;
        let mut end = 0;
        for line in text.split('\n') {
            let w = line.width();
            let r = if w == 0 { 1 } else { w.div_ceil(self.width) };
            rows += r;
            end = w - (r - 1) * self.width;
        }
        (rows, end)
    }

    /// Moves to the start of the status line and clears it and the input
    /// line.
    fn clear_prompt(&self, buf: &mut Vec<u8>) {
        let _ = queue!(buf, Print("\r"));
        if self.prompt_drawn {
            let _ = queue!(buf, cursor::MoveUp(1));
        }
        let _ = queue!(buf, terminal::Clear(ClearType::FromCursorDown));
    }

    /// Prints `text` where the prompt was; returns the line's id.
    fn print(&mut self, buf: &mut Vec<u8>, text: &str) -> u64 {
        for (i, line) in text.split('\n').enumerate() {
            if i > 0 {
                let _ = queue!(buf, Print("\r\n"));
            }
            let _ = queue!(buf, Print(line));
        }
        let _ = queue!(buf, Print("\r\n"));
        let (rows, end_col) = self.measure(text);
        self.next_id += 1;
        self.lines.push_back(Printed {
            id: self.next_id,
            rows,
            end_col,
        });
        if self.lines.len() > KEEP_LINES {
            self.lines.pop_front();
        }
        self.next_id
    }

    /// Draws the status and input lines.
    fn prompt(&mut self, buf: &mut Vec<u8>, status: &str, editor: &Editor) {
        let status = fit(status, self.width - 1);
        let avail = self.width - PROMPT.len() - 1;
        let (input, col) = editor.view(avail);
        self.cursor_col = PROMPT.len() + col;
        let _ = queue!(
            buf,
            Print(status),
            Print("\r\n"),
            Print(PROMPT),
            Print(input),
            cursor::MoveToColumn(u16::try_from(self.cursor_col).unwrap_or(0))
        );
        self.prompt_drawn = true;
    }

    /// Appends `mark` to printed line `id` if it is still on screen and
    /// has room; false otherwise.
    fn mark(&mut self, buf: &mut Vec<u8>, id: u64, mark: &str) -> bool {
        let Some(at) = self.lines.iter().position(|l| l.id == id) else {
            return false;
        };
        let below: usize = self.lines.iter().skip(at + 1).map(|l| l.rows).sum();
        // From the input line: the status line, then the lines below.
        let up = below + 2;
        let line = &self.lines[at];
        let wide = mark.width();
        if up >= self.height || line.end_col + wide >= self.width {
            return false;
        }
        let up16 = u16::try_from(up).unwrap_or(u16::MAX);
        let _ = queue!(
            buf,
            cursor::MoveUp(up16),
            cursor::MoveToColumn(u16::try_from(line.end_col).unwrap_or(0)),
            Print(mark),
            cursor::MoveDown(up16),
            cursor::MoveToColumn(u16::try_from(self.cursor_col).unwrap_or(0))
        );
        self.lines[at].end_col += wide;
        true
    }
}

/// The input line being edited.
#[derive(Debug, Default)]
struct Editor {
    chars: Vec<char>,
    cursor: usize,
}

impl Editor {
    fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    fn insert(&mut self, c: char) -> bool {
        if c.is_control() {
            return false;
        }
        self.chars.insert(self.cursor, c);
        self.cursor += 1;
        true
    }

    fn backspace(&mut self) -> bool {
        if self.cursor == 0 {
            return false;
        }
        self.cursor -= 1;
        self.chars.remove(self.cursor);
        true
    }

    fn delete(&mut self) -> bool {
        if self.cursor >= self.chars.len() {
            return false;
        }
        self.chars.remove(self.cursor);
        true
    }

    fn kill_to_start(&mut self) -> bool {
        let had = self.cursor > 0;
        self.chars.drain(..self.cursor);
        self.cursor = 0;
        had
    }

    fn kill_to_end(&mut self) -> bool {
        let had = self.cursor < self.chars.len();
        self.chars.truncate(self.cursor);
        had
    }

    fn delete_word(&mut self) -> bool {
        let end = self.cursor;
        let mut start = end;
        while start > 0 && self.chars[start - 1] == ' ' {
            start -= 1;
        }
        while start > 0 && self.chars[start - 1] != ' ' {
            start -= 1;
        }
        self.chars.drain(start..end);
        self.cursor = start;
        start < end
    }

    fn left(&mut self) {
        self.cursor = self.cursor.saturating_sub(1);
    }

    fn right(&mut self) {
        self.cursor = (self.cursor + 1).min(self.chars.len());
    }

    fn take(&mut self) -> String {
        self.cursor = 0;
        std::mem::take(&mut self.chars).into_iter().collect()
    }

    /// What fits in `avail` columns around the cursor, and the cursor's
    /// column in it.
    fn view(&self, avail: usize) -> (String, usize) {
        let w = |c: char| c.width().unwrap_or(0);
        let mut start = self.cursor;
        let mut col = 0;
        while start > 0 && col + w(self.chars[start - 1]) < avail {
            col += w(self.chars[start - 1]);
            start -= 1;
        }
        let mut used = 0;
        let text = self.chars[start..]
            .iter()
            .take_while(|&&c| {
                used += w(c);
                used <= avail
            })
            .collect();
        (text, col)
    }
}

/// An indicatif target that keeps the bar's text for the status line.
#[derive(Debug, Clone, Default)]
struct Capture(Arc<Mutex<String>>);

impl Capture {
    fn text(&self) -> String {
        let text = self.0.lock().map(|t| t.clone()).unwrap_or_default();
        text.trim_end().to_owned()
    }

    fn with(&self, f: impl FnOnce(&mut String)) -> io::Result<()> {
        if let Ok(mut text) = self.0.lock() {
            f(&mut text);
        }
        Ok(())
    }
}

impl TermLike for Capture {
    fn width(&self) -> u16 {
        60
    }
    fn move_cursor_up(&self, _: usize) -> io::Result<()> {
        Ok(())
    }
    fn move_cursor_down(&self, _: usize) -> io::Result<()> {
        Ok(())
    }
    fn move_cursor_right(&self, _: usize) -> io::Result<()> {
        Ok(())
    }
    fn move_cursor_left(&self, _: usize) -> io::Result<()> {
        Ok(())
    }
    fn write_line(&self, s: &str) -> io::Result<()> {
        self.with(|t| *t = s.to_owned())
    }
    fn write_str(&self, s: &str) -> io::Result<()> {
        self.with(|t| match s.rfind('\r') {
            Some(at) => *t = s[at + 1..].to_owned(),
            None => t.push_str(s),
        })
    }
    fn clear_line(&self) -> io::Result<()> {
        self.with(String::clear)
    }
    fn flush(&self) -> io::Result<()> {
        Ok(())
    }
}

/// A file on its way, on the status line.
struct Bar {
    bar: ProgressBar,
    text: Capture,
}

impl Bar {
    fn new(name: &str, size: u64) -> Self {
        let text = Capture::default();
        let bar = ProgressBar::with_draw_target(
            Some(size),
            ProgressDrawTarget::term_like(Box::new(text.clone())),
        );
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:20}] {binary_bytes}/{binary_total_bytes} confirmed",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(fit(&clean(name), 24));
        bar.force_draw();
        Self { bar, text }
    }
}

/// The chat screen.
pub(crate) struct TermView {
    keys: async_channel::Receiver<io::Result<Event>>,
    screen: Screen,
    editor: Editor,
    me: String,
    local: UtcOffset,
    last_typing: Option<Instant>,
    /// Own lines by local order, then by id: the printed line and a
    /// snippet, for the delivery mark.
    by_seq: HashMap<u64, (u64, String)>,
    by_id: HashMap<String, (u64, String)>,
    bars: HashMap<String, Bar>,
    /// Who is typing, by label.
    typing: Vec<String>,
    closed: bool,
    _raw: RawMode,
}

impl TermView {
    /// Takes over the terminal.
    pub(crate) fn new(context: &Context) -> Result<Self, CliError> {
        let raw = RawMode::enable()
            .map_err(|e| CliError::failed(format!("cannot put the terminal in raw mode: {e}")))?;
        let (tx, keys) = async_channel::bounded(64);
        // Key events from a thread: a blocked read must not hold the
        // runtime, nor the exit, up.
        std::thread::spawn(move || {
            loop {
                let event = crossterm::event::read();
                let failed = event.is_err();
                if tx.send_blocking(event).is_err() || failed {
                    break;
                }
            }
        });
        Ok(Self {
            keys,
            screen: Screen::new(),
            editor: Editor::default(),
            me: label(&context.me),
            local: context.local_offset,
            last_typing: None,
            by_seq: HashMap::new(),
            by_id: HashMap::new(),
            bars: HashMap::new(),
            typing: Vec::new(),
            closed: false,
            _raw: raw,
        })
    }

    fn status(&self) -> String {
        let mut parts: Vec<String> = self.bars.values().map(|b| b.text.text()).collect();
        parts.sort();
        match self.typing.as_slice() {
            [] => {}
            [one] => parts.push(format!("{one} is typing…")),
            many => parts.push(format!("{} are typing…", many.join(", "))),
        }
        parts.join("  ")
    }

    fn flush(buf: &[u8]) {
        let mut out = io::stdout().lock();
        let _ = out.write_all(buf).and_then(|()| out.flush());
    }

    /// Prints lines above the prompt; their ids.
    fn print(&mut self, lines: &[String]) -> Vec<u64> {
        if self.closed {
            return Vec::new();
        }
        let mut buf = Vec::new();
        self.screen.clear_prompt(&mut buf);
        let ids = lines
            .iter()
            .map(|l| self.screen.print(&mut buf, l))
            .collect();
        let status = self.status();
        self.screen.prompt(&mut buf, &status, &self.editor);
        Self::flush(&buf);
        ids
    }

    fn redraw(&mut self) {
        self.print(&[]);
    }

    /// Marks an own line, or says it on a line of its own.
    fn mark(&mut self, line: Option<(u64, String)>, mark: &str, words: &str) {
        if self.closed {
            return;
        }
        let mut buf = Vec::new();
        if let Some((id, snip)) = line {
            if self.screen.mark(&mut buf, id, mark) {
                Self::flush(&buf);
                return;
            }
            self.print(&[format!("  {} {words}: {snip}", mark.trim())]);
        }
    }

    fn now(&self) -> String {
        clock(OffsetDateTime::now_utc(), self.local)
    }

    /// A key: maybe a command.
    fn key(&mut self, key: KeyEvent) -> Option<Command> {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let editor = &mut self.editor;
        let changed = match key.code {
            KeyCode::Char('c') if ctrl => return Some(Command::Quit),
            KeyCode::Char('d') if ctrl && editor.is_empty() => return Some(Command::Quit),
            KeyCode::Char('d') if ctrl => editor.delete(),
            KeyCode::Char('a') if ctrl => {
                editor.cursor = 0;
                false
            }
            KeyCode::Char('e') if ctrl => {
                editor.cursor = editor.chars.len();
                false
            }
            KeyCode::Char('b') if ctrl => {
                editor.left();
                false
            }
            KeyCode::Char('f') if ctrl => {
                editor.right();
                false
            }
            KeyCode::Char('u') if ctrl => editor.kill_to_start(),
            KeyCode::Char('k') if ctrl => editor.kill_to_end(),
            KeyCode::Char('w') if ctrl => editor.delete_word(),
            KeyCode::Char('h') if ctrl => editor.backspace(),
            KeyCode::Char(c) if !ctrl && !alt => editor.insert(c),
            KeyCode::Backspace => editor.backspace(),
            KeyCode::Delete => editor.delete(),
            KeyCode::Left => {
                editor.left();
                false
            }
            KeyCode::Right => {
                editor.right();
                false
            }
            KeyCode::Home => {
                editor.cursor = 0;
                false
            }
            KeyCode::End => {
                editor.cursor = editor.chars.len();
                false
            }
            KeyCode::Enter => {
                let line = editor.take();
                self.redraw();
                return match parse_line(&line) {
                    Ok(command) => command,
                    Err(why) => {
                        self.notice(&why);
                        None
                    }
                };
            }
            _ => false,
        };
        self.redraw();
        let due = self
            .last_typing
            .is_none_or(|at| at.elapsed() >= TYPING_EVERY);
        // Commands are not messages in the making.
        let composing = self.editor.chars.first().is_some_and(|&c| c != '/');
        if changed && composing && due {
            self.last_typing = Some(Instant::now());
            return Some(Command::Typing);
        }
        None
    }
}

impl View for TermView {
    async fn next_command(&mut self) -> Option<Command> {
        loop {
            match self.keys.recv().await {
                Ok(Ok(Event::Key(key))) if key.kind != KeyEventKind::Release => {
                    if let Some(command) = self.key(key) {
                        return Some(command);
                    }
                }
                Ok(Ok(Event::Resize(..))) => {
                    self.screen.resize();
                    self.redraw();
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => {
                    self.notice(&format!("cannot read the terminal: {e}"));
                    return None;
                }
                Err(_) => return None,
            }
        }
    }

    fn started(&mut self, remote_path: &[MsrpUri]) {
        let path = remote_path
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ");
        self.print(&[
            format!("Connected to {path}."),
            "Type a message and Enter to send it; /file PATH sends a file; /quit or Ctrl-D \
             leaves."
                .to_owned(),
        ]);
    }

    fn sending(&mut self, message: &Outgoing) {
        let (text, snip) = match &message.what {
            What::Text(text) => (clean(text), snippet(&clean(text))),
            What::File { name } => {
                let name = clean(name);
                (
                    format!(
                        "sends the file {name} ({})",
                        files::human_size(message.size)
                    ),
                    name,
                )
            }
            What::End => return,
        };
        let line = format!("{} {}: {text}", self.now(), self.me);
        if let Some(id) = self.print(&[line]).first() {
            self.by_seq.insert(message.seq, (*id, snip));
        }
    }

    fn sent(&mut self, message: &Outgoing, id: &str) {
        if let Some(line) = self.by_seq.remove(&message.seq) {
            self.by_id.insert(id.to_owned(), line);
        }
        if let What::File { name } = &message.what {
            self.bars
                .insert(id.to_owned(), Bar::new(name, message.size.max(1)));
            self.redraw();
        }
    }

    fn not_sent(&mut self, message: &Outgoing, reason: &str) {
        let line = self.by_seq.remove(&message.seq);
        self.mark(line, " ✗", &format!("not sent ({reason})"));
    }

    fn received(&mut self, message: &ReceivedMessage, saved: Option<Result<PathBuf, String>>) {
        let at = message
            .timestamp
            .value()
            .unwrap_or_else(OffsetDateTime::now_utc);
        let who = clean(&label(&message.sender));
        let line = match saved {
            None => {
                let text = clean(message.text().unwrap_or(""));
                let text = text.replace('\n', "\n    ");
                format!("{} {who}: {text}", clock(at, self.local))
            }
            Some(saved) => {
                let name = files::file_name_for(message);
                let what = format!(
                    "{} {who} sent the file {} ({}, {})",
                    clock(at, self.local),
                    clean(&name),
                    files::human_size(message.body.len() as u64),
                    clean(message.content_type.split(';').next().unwrap_or("")),
                );
                match saved {
                    Ok(path) => format!("{what}: saved as {}", clean(&path.display().to_string())),
                    Err(why) => format!("{what}: not saved: {}", clean(&why)),
                }
            }
        };
        // The peer stopped typing with its message.
        self.typing.retain(|t| *t != who);
        self.print(&[line]);
    }

    fn delivered(&mut self, id: &str) {
        if let Some(bar) = self.bars.remove(id) {
            bar.bar.finish_and_clear();
            self.redraw();
        }
        let line = self.by_id.remove(id);
        self.mark(line, " ✓", "delivered");
    }

    fn not_delivered(&mut self, id: &str, code: u16, reason: &str) {
        if let Some(bar) = self.bars.remove(id) {
            bar.bar.abandon();
        }
        let line = self.by_id.remove(id);
        let snip = line.as_ref().map(|(_, s)| s.clone()).unwrap_or_default();
        if let Some((line_id, _)) = line {
            let mut buf = Vec::new();
            if !self.closed && self.screen.mark(&mut buf, line_id, " ✗") {
                Self::flush(&buf);
            }
        }
        let code = if code == 0 {
            String::new()
        } else {
            format!(" ({code})")
        };
        self.print(&[format!(
            "  ✗ not delivered: {snip}: {}{code}",
            clean(reason)
        )]);
    }

    fn progress(&mut self, id: &str, confirmed: u64, total: Option<u64>) {
        if let Some(bar) = self.bars.get(id) {
            // The MSRP message's size: the file in its CPIM wrapper.
            if let Some(total) = total {
                bar.bar.set_length(total);
            }
            bar.bar.set_position(confirmed);
            bar.bar.force_draw();
            self.redraw();
        }
    }

    fn composing(&mut self, from: &Address, active: bool) {
        let who = clean(&label(from));
        self.typing.retain(|t| *t != who);
        if active {
            self.typing.push(who);
        }
        self.redraw();
    }

    fn notice(&mut self, text: &str) {
        self.print(&[format!("* {}", clean(text))]);
    }

    fn ended(&mut self, reason: Option<&str>) {
        if self.closed {
            return;
        }
        for bar in self.bars.values() {
            bar.bar.abandon();
        }
        self.bars.clear();
        self.typing.clear();
        let line = match reason {
            None => "You left the chat.".to_owned(),
            Some(reason) => format!("The chat ended: {}.", clean(reason)),
        };
        let mut buf = Vec::new();
        self.screen.clear_prompt(&mut buf);
        self.screen.print(&mut buf, &line);
        Self::flush(&buf);
        self.closed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_text_cannot_drive_the_terminal() {
        assert_eq!(clean("a\u{1b}[2Jb\tc\r\nd"), "a\u{fffd}[2Jb c\nd");
        assert_eq!(clean("\u{9b}31m"), "\u{fffd}31m");
    }

    #[test]
    fn the_input_line_scrolls_with_the_cursor() {
        let mut editor = Editor::default();
        for c in "hello world".chars() {
            editor.insert(c);
        }
        assert_eq!(editor.view(80), ("hello world".into(), 11));
        let (text, col) = editor.view(6);
        assert_eq!((text.as_str(), col), ("world", 5));
        editor.cursor = 0;
        assert_eq!(editor.view(6), ("hello ".into(), 0));
        editor.cursor = 11;
        assert!(editor.delete_word());
        assert_eq!(editor.take(), "hello ");
    }

    #[test]
    fn wide_text_takes_more_rows() {
        let mut screen = Screen::new();
        screen.width = 10;
        assert_eq!(screen.measure("12345"), (1, 5));
        assert_eq!(screen.measure("1234567890ab"), (2, 2));
        assert_eq!(screen.measure("a\nbb"), (2, 2));
        assert_eq!(screen.measure("日本語日本語"), (2, 2));
    }
}
