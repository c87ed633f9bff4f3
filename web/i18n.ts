/**
 * The dashboard's words in Vietnamese (the default: its readers are provincial and ministry
 * officials) and English, and the reader's locale for numbers and dates (`vi-VN`: 26.256,
 * 18/11/2020, 24-hour clock). Elements carry `data-i18n="key"` (text) or `data-i18n-title`,
 * `data-i18n-placeholder` (attributes); `apply()` fills them in.
 */

export type Lang = 'vi' | 'en';
export const LANGS: readonly Lang[] = ['vi', 'en'];
export const LOCALES: Record<Lang, string> = { vi: 'vi-VN', en: 'en-GB' };

const vi = {
  title: 'ngsp-stats — thống kê trao đổi dữ liệu',
  subtitle: 'Thống kê giao dịch trao đổi dữ liệu NGSP / LGSP · giờ Việt Nam (UTC+7)',
  from: 'Từ ngày',
  to: 'đến',
  show: 'Xem',
  latest: 'Mới nhất',
  latestTitle: 'hôm nay, hoặc ngày gần nhất có dữ liệu',
  refresh: 'Làm mới',
  forget: 'Quên khoá',
  switchLang: 'English',
  keyLabel: 'Khoá API (analyst hoặc ops)',
  openDashboard: 'Mở bảng điều khiển',
  keyHint: 'Khoá chỉ được giữ trong thẻ này (sessionStorage) và gửi trong tiêu đề x-api-key.',
  today: 'Hôm nay',
  day: 'Ngày',
  days: 'Các ngày',
  thisYear: 'Năm',
  transactions: 'Giao dịch',
  avgPerMinute: 'TB mỗi phút',
  avgPerDay: 'TB mỗi ngày',
  systems: 'Hệ thống kết nối',
  platforms: 'Nền tảng báo cáo',
  last24h: '24 giờ qua',
  last90d: '90 ngày qua',
  days90To: '90 ngày đến {day}',
  perMinute: '{period} — số giao dịch mỗi phút',
  p95PerMinute: '{period} — thời gian xử lý p95 mỗi phút (ms)',
  perDay: '{period} — số giao dịch mỗi ngày',
  p95PerDay: '{period} — thời gian xử lý p95 mỗi ngày (ms)',
  time: 'Thời gian',
  succeeded: 'Thành công',
  failed: 'Thất bại',
  clipped: '{n} điểm trên {cap} ms (cao nhất {max} ms) vượt khỏi khung để các giá trị thường gặp dễ đọc.',
  topServices: 'Dịch vụ nhiều giao dịch nhất',
  provincePairs: 'Tỉnh với tỉnh',
  top20: '{window}, 20 cặp đầu',
  service: 'Dịch vụ',
  share: 'Tỉ lệ',
  consumerProvince: 'Tỉnh bên khai thác',
  providerProvince: 'Tỉnh bên cung cấp',
  central: 'Trung ương (bộ, ngành)',
  empty: 'Không có giao dịch trong khoảng này',
  loading: 'Đang tải…',
  updated: 'Cập nhật lúc {time} (giờ VN)',
  couldNotLoad: 'Không tải được: {error}',
  keyInvalid: 'Khoá này không hợp lệ (không tồn tại hoặc đã bị thu hồi).',
  keyForbidden: 'Khoá này không được đọc số liệu: hãy dùng khoá analyst hoặc ops.',
  noTransactionsYet: 'Chưa có giao dịch nào (hôm nay là {today}).',
  showingLatest: 'Hôm nay ({today}) chưa có giao dịch: đang hiển thị {latest}, ngày gần nhất có dữ liệu.',
  badLink: 'Liên kết không chỉ một ngày hợp lệ: dùng ?date=YYYY-MM-DD hoặc ?from=YYYY-MM-DD&to=YYYY-MM-DD.',
  badRange: 'Khoảng thời gian của liên kết kết thúc ({to}) trước khi bắt đầu ({from}).',
  longRange: 'Khoảng thời gian của liên kết dài hơn 366 ngày.',
  // Issue 16 part 5: the province-to-province view (web/pairs.ts).
  pairsTitle: 'Bản đồ trao đổi giữa các tỉnh',
  pairsHint: 'Hàng: bên khai thác · cột: bên cung cấp · màu càng đậm càng nhiều giao dịch (thang log); di chuột vào ô để xem chi tiết.',
  pairsCorner: 'Khai thác ↓ · Cung cấp →',
  pairsCentral: 'Trung ương',
  pairsOther: 'Khác',
  pairsCell: '{from} → {to}: {n} giao dịch, {failed} thất bại',
  topOrgs: 'Cơ quan trao đổi nhiều nhất',
  topSystems: 'Hệ thống trao đổi nhiều nhất',
  failureCauses: 'Nguyên nhân thất bại',
  consumerOrg: 'Cơ quan khai thác',
  providerOrg: 'Cơ quan cung cấp',
  consumerSystem: 'Hệ thống khai thác',
  providerSystem: 'Hệ thống cung cấp',
  cause: 'Nguyên nhân',
  noFailures: 'Không có giao dịch thất bại',
  systemsUnavailable: 'Chưa xem được số liệu theo hệ thống.',
  causeAuth: 'Xác thực (AUTH)',
  causeThrottled: 'Bị giới hạn tần suất (THROTTLED)',
  causeTarget: 'Lỗi hệ thống đích (TARGET)',
  causeTimeout: 'Quá thời gian (TIMEOUT)',
  causeValidation: 'Dữ liệu không hợp lệ (VALIDATION)',
  causeOther: 'Khác (OTHER)',
  causeUnspecified: 'Không rõ nguyên nhân',
  alerts: 'Cảnh báo tình trạng trao đổi',
  alertKind: 'Loại',
  alertSubject: 'Đối tượng',
  alertStarted: 'Bắt đầu',
  alertEnded: 'Kết thúc',
  alertOpen: 'Đang diễn ra',
  alertPlatformSilent: 'Nền tảng ngừng báo cáo',
  alertFailureRatio: 'Tỉ lệ lỗi tăng',
  alertDurationP95: 'Thời gian xử lý p95 tăng',
  alertTrafficDrop: 'Lưu lượng giữa hai tỉnh giảm mạnh',
  noAlerts: 'Không có cảnh báo trong khoảng này',
  alertsUnavailable: 'Không đọc được cảnh báo',
};

export type MessageKey = keyof typeof vi;

const en: Record<MessageKey, string> = {
  title: 'ngsp-stats — data exchange statistics',
  subtitle: 'NGSP / LGSP data exchange statistics · Vietnam time (UTC+7)',
  from: 'From',
  to: 'to',
  show: 'Show',
  latest: 'Latest',
  latestTitle: 'today, or the latest day with data',
  refresh: 'Refresh',
  forget: 'Forget key',
  switchLang: 'Tiếng Việt',
  keyLabel: 'API key (analyst or ops)',
  openDashboard: 'Open dashboard',
  keyHint: 'The key is kept only in this tab (sessionStorage) and sent as the x-api-key header.',
  today: 'Today',
  day: 'Day',
  days: 'Days',
  thisYear: 'Year',
  transactions: 'Transactions',
  avgPerMinute: 'Avg per minute',
  avgPerDay: 'Avg per day',
  systems: 'Connected systems',
  platforms: 'Reporting platforms',
  last24h: 'Last 24 hours',
  last90d: 'Last 90 days',
  days90To: '90 days to {day}',
  perMinute: '{period} — transactions per minute',
  p95PerMinute: '{period} — p95 duration per minute (ms)',
  perDay: '{period} — transactions per day',
  p95PerDay: '{period} — p95 duration per day (ms)',
  time: 'Time',
  succeeded: 'Succeeded',
  failed: 'Failed',
  clipped: '{n} points above {cap} ms (highest {max} ms) are off the scale, so that the usual values can be read.',
  topServices: 'Top services',
  provincePairs: 'Province to province',
  top20: '{window}, top 20',
  service: 'Service',
  share: 'Share',
  consumerProvince: 'Consumer province',
  providerProvince: 'Provider province',
  central: 'Central (ministries)',
  empty: 'No transactions in this period',
  loading: 'Loading…',
  updated: 'Updated {time} (Vietnam time)',
  couldNotLoad: 'Could not load: {error}',
  keyInvalid: 'This key is not valid (unknown or revoked).',
  keyForbidden: 'This key may not read metrics: use an analyst or ops key.',
  noTransactionsYet: 'No transactions yet (today is {today}).',
  showingLatest: 'No transactions today ({today}) yet: showing {latest}, the latest day with data.',
  badLink: 'The link names no valid day: use ?date=YYYY-MM-DD or ?from=YYYY-MM-DD&to=YYYY-MM-DD.',
  badRange: "The link's range ends ({to}) before it starts ({from}).",
  longRange: "The link's range is longer than 366 days.",
  // Issue 16 part 5: the province-to-province view (web/pairs.ts).
  pairsTitle: 'Province-to-province map',
  pairsHint: 'Rows: consumer · columns: provider · darker means more transactions (log scale); hover a cell for details.',
  pairsCorner: 'Consumer ↓ · Provider →',
  pairsCentral: 'Central',
  pairsOther: 'Other',
  pairsCell: '{from} → {to}: {n} transactions, {failed} failed',
  topOrgs: 'Top organisations',
  topSystems: 'Top systems',
  failureCauses: 'Failures by cause',
  consumerOrg: 'Consumer organisation',
  providerOrg: 'Provider organisation',
  consumerSystem: 'Consumer system',
  providerSystem: 'Provider system',
  cause: 'Cause',
  noFailures: 'No failed transactions',
  systemsUnavailable: 'The figures by system could not be loaded.',
  causeAuth: 'Authentication (AUTH)',
  causeThrottled: 'Throttled (THROTTLED)',
  causeTarget: 'Target system error (TARGET)',
  causeTimeout: 'Timed out (TIMEOUT)',
  causeValidation: 'Invalid data (VALIDATION)',
  causeOther: 'Other (OTHER)',
  causeUnspecified: 'No cause given',
  alerts: 'Exchange-health alerts',
  alertKind: 'Kind',
  alertSubject: 'Subject',
  alertStarted: 'Started',
  alertEnded: 'Ended',
  alertOpen: 'Ongoing',
  alertPlatformSilent: 'Platform stopped reporting',
  alertFailureRatio: 'Failure ratio up',
  alertDurationP95: 'p95 duration up',
  alertTrafficDrop: 'Province pair traffic collapsed',
  noAlerts: 'No alerts in this period',
  alertsUnavailable: 'Alerts could not be read',
};

const MESSAGES: Record<Lang, Record<MessageKey, string>> = { vi, en };
const LANG_ITEM = 'ngsp.lang';

/** `?lang=` first, then the reader's last choice, then Vietnamese. */
export function chooseLang(search: string, stored: string | null): Lang {
  const asked = new URLSearchParams(search).get('lang');
  for (const l of [asked, stored]) if (l && (LANGS as string[]).includes(l)) return l as Lang;
  return 'vi';
}

export class I18n {
  lang: Lang;
  constructor(lang: Lang) {
    this.lang = lang;
  }

  get locale(): string {
    return LOCALES[this.lang];
  }

  /** A message with `{name}` placeholders filled in. */
  t(key: MessageKey, params: Record<string, string | number> = {}): string {
    return MESSAGES[this.lang][key].replace(/\{(\w+)\}/g, (_, k: string) => String(params[k] ?? `{${k}}`));
  }

  number(n: number, maximumFractionDigits = 2): string {
    return new Intl.NumberFormat(this.locale, { maximumFractionDigits }).format(n);
  }

  /** A day (`YYYY-MM-DD`, ICT) in the reader's form: 18/11/2020. */
  day(day: string): string {
    return new Intl.DateTimeFormat(this.locale, { timeZone: 'Asia/Ho_Chi_Minh', day: '2-digit', month: '2-digit', year: 'numeric' }).format(
      new Date(`${day}T12:00:00+07:00`),
    );
  }

  /** Fills every `data-i18n*` element under `root` and the document's language and title. */
  apply(root: Document = document): void {
    root.documentElement.lang = this.lang;
    root.title = this.t('title');
    for (const el of Array.from(root.querySelectorAll<HTMLElement>('[data-i18n]'))) el.textContent = this.t(el.dataset.i18n as MessageKey);
    for (const el of Array.from(root.querySelectorAll<HTMLElement>('[data-i18n-title]')))
      el.title = this.t(el.dataset.i18nTitle as MessageKey);
    for (const el of Array.from(root.querySelectorAll<HTMLInputElement>('[data-i18n-placeholder]')))
      el.placeholder = this.t(el.dataset.i18nPlaceholder as MessageKey);
  }

  static load(): I18n {
    return new I18n(chooseLang(location.search, localStorage.getItem(LANG_ITEM)));
  }

  /** Switches and remembers the choice. */
  switchTo(lang: Lang): void {
    this.lang = lang;
    localStorage.setItem(LANG_ITEM, lang);
  }
}
