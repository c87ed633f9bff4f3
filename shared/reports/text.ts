/**
 * The words and number formats of the monthly report, shared by its HTML and its PDF: Vietnamese
 * (the readers are provincial and ministry officials), numbers and dates as `vi-VN` writes them
 * (`26.256`, `18/11/2020`, 24-hour times) in Asia/Ho_Chi_Minh.
 */
import { TIME_ZONE } from '#shared/time.ts';
import type { MonthlyFigures } from './monthly.ts';

const LOCALE = 'vi-VN';
const integer = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const dayFormat = new Intl.DateTimeFormat(LOCALE, { timeZone: TIME_ZONE, day: '2-digit', month: '2-digit', year: 'numeric' });
const timeFormat = new Intl.DateTimeFormat(LOCALE, { timeZone: TIME_ZONE, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });

export const fmtInt = (n: number): string => integer.format(n);
export const fmtPercent = (share: number | null): string => (share === null ? '—' : `${oneDecimal.format(share * 100)} %`);
export const fmtTrend = (pct: number | null): string => (pct === null ? '—' : `${pct > 0 ? '+' : ''}${oneDecimal.format(pct)} %`);
/** `18/11/2020` of a `YYYY-MM-DD` day. */
export const fmtDay = (day: string): string => dayFormat.format(new Date(`${day}T12:00:00+07:00`));
/** `18/11/2020 09:41` of an RFC 3339 instant. */
export const fmtMinute = (iso: string): string => `${dayFormat.format(new Date(iso))} ${timeFormat.format(new Date(iso))}`;
/** `tháng 11/2020` of `2020-11`. */
export const fmtMonth = (month: string): string => `${month.slice(5)}/${month.slice(0, 4)}`;

export const FAILURE_LABELS: Record<MonthlyFigures['failureCauses'][number]['column'], string> = {
  failedAuth: 'Lỗi xác thực (AUTH)',
  failedThrottled: 'Vượt hạn mức (THROTTLED)',
  failedTarget: 'Lỗi hệ thống cung cấp (TARGET)',
  failedTimeout: 'Quá thời gian chờ (TIMEOUT)',
  failedValidation: 'Dữ liệu không hợp lệ (VALIDATION)',
  failedOther: 'Lỗi khác (OTHER)',
  failedUnspecified: 'Không rõ nguyên nhân',
};

export const T = {
  title: 'Báo cáo tháng về giao dịch chia sẻ dữ liệu',
  month: 'Tháng',
  subject: 'Đơn vị báo cáo',
  national: 'Toàn quốc (mọi nền tảng)',
  generatedAt: 'Lập lúc',
  daysPublished: 'Số ngày có số liệu',
  totals: 'Tổng hợp giao dịch',
  transactions: 'Giao dịch',
  succeeded: 'Thành công',
  failed: 'Thất bại',
  paired: 'Giao dịch có báo cáo hai phía',
  successRate: 'Tỷ lệ thành công',
  trend: 'So với tháng trước',
  previousMonth: 'Tháng trước',
  topServices: 'Dịch vụ được sử dụng nhiều nhất',
  service: 'Mã dịch vụ',
  partnerProvinces: 'Tỉnh, thành phố tham gia nhiều nhất',
  partnerProvincesOf: 'Tỉnh, thành phố đối tác',
  province: 'Tỉnh, thành phố',
  partnerOrgs: 'Cơ quan, tổ chức đối tác',
  organisation: 'Cơ quan, tổ chức',
  systemsCount: 'Số hệ thống',
  failureCauses: 'Nguyên nhân lỗi',
  cause: 'Nguyên nhân',
  count: 'Số lượng',
  share: 'Tỷ lệ',
  busiestDays: 'Ngày cao điểm',
  day: 'Ngày',
  busiestMinutes: 'Phút cao điểm (toàn hệ thống)',
  minute: 'Phút',
  systems: 'Hệ thống thông tin kết nối',
  systemsConnected: 'hệ thống đã kết nối',
  reportingPlatforms: 'Nền tảng đã gửi báo cáo trong tháng',
  none: 'Không có số liệu.',
  unavailable:
    'Số liệu theo cơ quan, hệ thống (tệp systems.jsonl) chưa có cho tháng này: chưa thể tách giao dịch của đơn vị khỏi số liệu theo tỉnh.',
  systemsUnavailable: 'Danh sách hệ thống theo đơn vị cần số liệu theo cơ quan, hệ thống (systems.jsonl), chưa có cho tháng này.',
  orgsBySystems: 'Cơ quan, tổ chức có nhiều hệ thống kết nối nhất',
  scopeNote: {
    national: 'Mọi giao dịch của tháng, theo các tệp số liệu ngày (rollup.jsonl).',
    'platform-national': 'Giao dịch đi qua Nền tảng tích hợp, chia sẻ dữ liệu quốc gia (route NGSP).',
    province: 'Giao dịch có bên sử dụng hoặc bên cung cấp thuộc tỉnh, thành phố này.',
    ministry: 'Giao dịch có cơ quan của bộ, ngành là bên sử dụng hoặc bên cung cấp (số liệu theo hệ thống).',
    unknown: 'Giao dịch có cơ quan của đơn vị là bên sử dụng hoặc bên cung cấp (số liệu theo hệ thống).',
  },
  source: 'Nguồn: tệp số liệu ngày đã chốt trong kho rollups/daily; các con số bằng tổng các dòng số liệu ngày của tháng.',
} as const;

/** The report's title line for a subject. */
export function subjectTitle(f: Pick<MonthlyFigures, 'subject' | 'name'>): string {
  return f.subject === 'national' ? T.national : `${f.name} (${f.subject})`;
}
