"""Synthetic identities for the simulated people: names for many countries
(Cyrillic-origin names transliterated to Latin script as passports print
them), dates of birth, nationalities, residences and residence permits,
and postal addresses. Built in bulk with Arrow so that a million customers
take about a second.

Every identity is invented: the lists are common given names, surnames,
streets and cities, combined at random.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc


@dataclass(frozen=True)
class Country:
    code: str
    male: tuple[str, ...]
    female: tuple[str, ...]
    surnames: tuple[str, ...]
    #: feminine surname forms (Slavic languages), same order as surnames; empty when unchanged
    surnames_f: tuple[str, ...]
    cities: tuple[tuple[str, str], ...]  # (city, postcode prefix)
    streets: tuple[str, ...]
    #: how an address line is written: "{n} {street}" or "{street} {n}"
    number_first: bool
    family_first: bool = False  # names written family name first (CN, JP)


def _t(s: str) -> tuple[str, ...]:
    return tuple(s.split())


COUNTRIES: tuple[Country, ...] = (
    Country("US", _t("James John Robert Michael William David Richard Joseph Thomas Christopher Daniel Matthew"),
            _t("Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Nancy Emily"),
            _t("Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Wilson Anderson Taylor Thomas Moore Jackson"),
            (), (("Chicago", "606"), ("Houston", "770"), ("Phoenix", "850"), ("Denver", "802"), ("Seattle", "981"), ("Boston", "021")),
            ("Oak Street", "Maple Avenue", "Washington Boulevard", "Lake Drive", "Pine Road", "Elm Street", "Cedar Lane", "Main Street"), True),
    Country("GB", _t("Oliver George Harry Jack Jacob Charlie Thomas Oscar William James Alfie Henry"),
            _t("Olivia Amelia Isla Ava Emily Sophie Grace Lily Ella Jessica Chloe Freya"),
            _t("Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans Walker White Roberts Green"),
            (), (("Manchester", "M"), ("Leeds", "LS"), ("Bristol", "BS"), ("Glasgow", "G"), ("Cardiff", "CF"), ("London", "N")),
            ("High Street", "Station Road", "Church Lane", "Victoria Road", "Park Avenue", "Mill Lane", "Kings Road", "Queen Street"), True),
    Country("DE", _t("Lukas Leon Maximilian Felix Jonas Paul Finn Elias Ben Tobias Stefan Michael"),
            _t("Anna Lena Laura Julia Sophie Marie Lea Hannah Katharina Sabine Claudia Petra"),
            _t("Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch Richter Klein Wolf Schröder Neumann"),
            (), (("Berlin", "10"), ("Hamburg", "20"), ("München", "80"), ("Köln", "50"), ("Leipzig", "04"), ("Frankfurt am Main", "60")),
            ("Hauptstraße", "Bahnhofstraße", "Gartenstraße", "Schulstraße", "Lindenweg", "Bergstraße", "Kirchplatz", "Goethestraße"), False),
    Country("FR", _t("Lucas Hugo Louis Gabriel Arthur Jules Adam Raphaël Nathan Thomas Nicolas Julien"),
            _t("Emma Jade Louise Alice Chloé Léa Manon Camille Inès Sarah Claire Juliette"),
            _t("Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy Moreau Simon Laurent Lefebvre Michel Garcia Fournier"),
            (), (("Paris", "75"), ("Lyon", "69"), ("Marseille", "13"), ("Toulouse", "31"), ("Nantes", "44"), ("Lille", "59")),
            ("rue de la République", "avenue Victor Hugo", "rue Pasteur", "boulevard Voltaire", "rue des Lilas", "place de la Mairie"), True),
    Country("ES", _t("Hugo Martín Lucas Mateo Leo Daniel Alejandro Pablo Manuel Javier Carlos Sergio"),
            _t("Lucía Sofía Martina María Julia Paula Valeria Emma Daniela Carmen Laura Elena"),
            _t("García Rodríguez González Fernández López Martínez Sánchez Pérez Gómez Martín Jiménez Ruiz Hernández Díaz Moreno Álvarez"),
            (), (("Madrid", "28"), ("Barcelona", "08"), ("Valencia", "46"), ("Sevilla", "41"), ("Zaragoza", "50"), ("Málaga", "29")),
            ("Calle Mayor", "Calle Real", "Avenida de la Constitución", "Calle del Sol", "Paseo de Gracia", "Calle Nueva"), False),
    Country("IT", _t("Leonardo Francesco Alessandro Lorenzo Mattia Andrea Gabriele Riccardo Tommaso Marco Giuseppe Luca"),
            _t("Sofia Giulia Aurora Alice Ginevra Emma Giorgia Greta Beatrice Anna Chiara Francesca"),
            _t("Rossi Russo Ferrari Esposito Bianchi Romano Colombo Ricci Marino Greco Bruno Gallo Conti Costa Giordano"),
            (), (("Roma", "001"), ("Milano", "201"), ("Napoli", "801"), ("Torino", "101"), ("Bologna", "401"), ("Firenze", "501")),
            ("Via Roma", "Via Garibaldi", "Corso Italia", "Via Mazzini", "Via Dante", "Piazza Venezia"), False),
    Country("NL", _t("Daan Sem Noah Lucas Levi Finn Luuk Milan Bram Jesse Thijs Ruben"),
            _t("Emma Julia Mila Sophie Tess Zoë Sara Anna Eva Lotte Fenna Sanne"),
            ("de Jong", "Jansen", "de Vries", "van den Berg", "van Dijk", "Bakker", "Janssen", "Visser",
             "Smit", "Meijer", "de Boer", "Mulder", "de Groot", "Bos", "Vos", "Peters"),
            (), (("Amsterdam", "10"), ("Rotterdam", "30"), ("Utrecht", "35"), ("Eindhoven", "56"), ("Groningen", "97"), ("Den Haag", "25")),
            ("Kerkstraat", "Dorpsstraat", "Molenweg", "Stationsweg", "Schoolstraat", "Julianalaan"), False),
    Country("PL", _t("Jakub Antoni Jan Szymon Aleksander Franciszek Filip Mikołaj Wojciech Piotr Krzysztof Tomasz"),
            _t("Zuzanna Julia Zofia Hanna Maja Lena Alicja Maria Oliwia Anna Katarzyna Magdalena"),
            _t("Nowak Kowalski Wiśniewski Wójcik Kowalczyk Kamiński Lewandowski Zieliński Szymański Woźniak Dąbrowski Kozłowski"),
            _t("Nowak Kowalska Wiśniewska Wójcik Kowalczyk Kamińska Lewandowska Zielińska Szymańska Woźniak Dąbrowska Kozłowska"),
            (("Warszawa", "00"), ("Kraków", "30"), ("Łódź", "90"), ("Wrocław", "50"), ("Poznań", "60"), ("Gdańsk", "80")),
            ("ul. Polna", "ul. Leśna", "ul. Słoneczna", "ul. Krótka", "ul. Szkolna", "ul. Ogrodowa"), False),
    Country("FI", _t("Onni Elias Leo Eino Väinö Oliver Juho Mikko Matti Antti Jukka Ville"),
            _t("Aino Eevi Olivia Helmi Sofia Aada Ella Emma Laura Maria Kaisa Johanna"),
            _t("Korhonen Virtanen Mäkinen Nieminen Mäkelä Hämäläinen Laine Heikkinen Koskinen Järvinen Lehtonen Lehtinen"),
            (), (("Helsinki", "00"), ("Espoo", "02"), ("Tampere", "33"), ("Turku", "20"), ("Oulu", "90"), ("Vantaa", "01")),
            ("Mannerheimintie", "Koulukatu", "Rantatie", "Kirkkokatu", "Puistotie", "Asemakatu"), False),
    # Cyrillic-origin names, in the passport transliteration (ICAO 9303)
    Country("RU", _t("Aleksandr Dmitrii Maksim Sergei Andrei Aleksei Artem Ilia Kirill Mikhail Nikolai Ivan Evgenii Vladimir"),
            _t("Anastasiia Mariia Daria Anna Elizaveta Ekaterina Olga Tatiana Natalia Irina Svetlana Iuliia Kseniia Elena"),
            _t("Ivanov Smirnov Kuznetsov Popov Vasilev Petrov Sokolov Mikhailov Novikov Fedorov Morozov Volkov Alekseev Lebedev Semenov Egorov"),
            _t("Ivanova Smirnova Kuznetsova Popova Vasileva Petrova Sokolova Mikhailova Novikova Fedorova Morozova Volkova Alekseeva Lebedeva Semenova Egorova"),
            (("Moskva", "1"), ("Sankt-Peterburg", "19"), ("Novosibirsk", "630"), ("Ekaterinburg", "620"), ("Kazan", "420"), ("Nizhnii Novgorod", "603")),
            ("ul. Lenina", "ul. Sovetskaia", "ul. Mira", "ul. Gagarina", "prospekt Pobedy", "ul. Tsentralnaia", "ul. Shkolnaia", "ul. Sadovaia"), False),
    Country("UA", _t("Oleksandr Andrii Serhii Dmytro Mykola Vasyl Ivan Oleh Yurii Taras Bohdan Maksym"),
            _t("Olena Nataliia Tetiana Iryna Oksana Yuliia Kateryna Halyna Anna Mariia Sofiia Viktoriia"),
            _t("Melnyk Shevchenko Boiko Kovalenko Bondarenko Tkachenko Kovalchuk Kravchenko Oliinyk Shevchuk Koval Polishchuk"),
            (), (("Kyiv", "01"), ("Kharkiv", "61"), ("Odesa", "65"), ("Dnipro", "49"), ("Lviv", "79"), ("Zaporizhzhia", "69")),
            ("vul. Shevchenka", "vul. Franka", "vul. Sadova", "prosp. Peremohy", "vul. Hrushevskoho", "vul. Tsentralna"), False),
    Country("BY", _t("Aliaksandr Dzmitry Siarhei Andrei Uladzimir Mikalai Pavel Ihar Viktar Yauhen Artsiom Maksim"),
            _t("Volha Natallia Tatsiana Iryna Alena Hanna Darya Yuliya Katsiaryna Maryia Sviatlana Kseniya"),
            _t("Ivanou Kavaliou Navitski Kazlou Marozau Ivanchyk Lukashevich Karpovich Dubrouski Bahdanovich Zhuk Yakimovich"),
            _t("Ivanova Kavaliova Navitskaya Kazlova Marozava Ivanchyk Lukashevich Karpovich Dubrouskaya Bahdanovich Zhuk Yakimovich"),
            (("Minsk", "220"), ("Homiel", "246"), ("Mahiliou", "212"), ("Viciebsk", "210"), ("Hrodna", "230"), ("Brest", "224")),
            ("vul. Lienina", "vul. Savietskaja", "prasp. Niezalieznasci", "vul. Pieramohi", "vul. Kirava", "vul. Haharyna"), False),
    Country("TR", _t("Mehmet Mustafa Ahmet Ali Hüseyin Hasan İbrahim Murat Yusuf Emre Burak Can"),
            _t("Fatma Ayşe Emine Hatice Zeynep Elif Meryem Merve Esra Büşra Selin Derya"),
            _t("Yılmaz Kaya Demir Şahin Çelik Yıldız Yıldırım Öztürk Aydın Özdemir Arslan Doğan Kılıç Aslan Çetin Kara"),
            (), (("İstanbul", "34"), ("Ankara", "06"), ("İzmir", "35"), ("Bursa", "16"), ("Antalya", "07"), ("Konya", "42")),
            ("Atatürk Caddesi", "Cumhuriyet Caddesi", "İnönü Sokak", "Gazi Bulvarı", "Okul Sokak", "Çarşı Caddesi"), False),
    Country("BR", _t("Miguel Arthur Gael Heitor Theo Davi Gabriel Bernardo Samuel João Pedro Lucas"),
            _t("Helena Alice Laura Maria Valentina Heloísa Cecília Sophia Manuela Júlia Ana Beatriz"),
            _t("Silva Santos Oliveira Souza Rodrigues Ferreira Alves Pereira Lima Gomes Costa Ribeiro Martins Carvalho Almeida Lopes"),
            (), (("São Paulo", "01"), ("Rio de Janeiro", "20"), ("Belo Horizonte", "30"), ("Salvador", "40"), ("Curitiba", "80"), ("Recife", "50")),
            ("Rua das Flores", "Avenida Brasil", "Rua São João", "Rua XV de Novembro", "Avenida Paulista", "Rua Sete de Setembro"), False),
    Country("NG", _t("Chinedu Emeka Oluwaseun Ibrahim Musa Tunde Segun Chukwuma Abdullahi Obinna Kelechi Yusuf"),
            _t("Ngozi Chioma Aisha Funmilayo Amina Folake Blessing Adaeze Yetunde Zainab Nkechi Temitope"),
            _t("Okafor Adeyemi Okonkwo Bello Ibrahim Eze Abubakar Ogunleye Nwosu Balogun Mohammed Chukwu Adebayo Okeke"),
            (), (("Lagos", "100"), ("Abuja", "900"), ("Kano", "700"), ("Ibadan", "200"), ("Port Harcourt", "500"), ("Enugu", "400")),
            ("Allen Avenue", "Broad Street", "Awolowo Road", "Market Road", "Ahmadu Bello Way", "Station Road"), True),
    Country("IN", _t("Aarav Vivaan Aditya Arjun Rohan Rahul Amit Vikram Sanjay Rajesh Karan Ankit"),
            _t("Aadhya Ananya Diya Priya Pooja Neha Anjali Kavya Sneha Divya Lakshmi Meera"),
            _t("Sharma Verma Gupta Singh Kumar Patel Reddy Iyer Nair Das Joshi Mehta Chopra Rao Bose Malhotra"),
            (), (("Mumbai", "400"), ("Delhi", "110"), ("Bengaluru", "560"), ("Chennai", "600"), ("Hyderabad", "500"), ("Kolkata", "700")),
            ("MG Road", "Station Road", "Nehru Nagar", "Gandhi Road", "Park Street", "Main Road"), True),
    Country("CN", _t("Wei Jun Hao Lei Yang Jie Tao Ming Qiang Bo Peng Chao"),
            _t("Fang Jing Li Min Yan Xiu Ying Hui Na Ling Mei Xin"),
            _t("Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo"),
            (), (("Beijing", "100"), ("Shanghai", "200"), ("Shenzhen", "518"), ("Guangzhou", "510"), ("Chengdu", "610"), ("Hangzhou", "310")),
            ("Renmin Lu", "Jiefang Lu", "Zhongshan Lu", "Heping Jie", "Changan Jie", "Nanjing Lu"), False, True),
    Country("JP", _t("Haruto Sota Yuto Riku Hinata Ren Takumi Daiki Kenta Hiroshi Takeshi Yuki"),
            _t("Yui Himari Aoi Sakura Hina Yuna Mei Rin Haruka Yuko Akiko Naomi"),
            _t("Sato Suzuki Takahashi Tanaka Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada Sasaki Yamaguchi Matsumoto Inoue"),
            (), (("Tokyo", "1"), ("Osaka", "5"), ("Yokohama", "22"), ("Nagoya", "45"), ("Sapporo", "06"), ("Fukuoka", "81")),
            ("Chuo-dori", "Sakura-dori", "Ekimae", "Honcho", "Kita-machi", "Minami-machi"), True, True),
)

CODES: tuple[str, ...] = tuple(c.code for c in COUNTRIES)
INDEX: dict[str, int] = {c: i for i, c in enumerate(CODES)}

#: EU member states among the countries above (residence permits that matter for EU rules)
EU = ("DE", "FR", "ES", "IT", "NL", "PL", "FI")


def country_weights(region: str) -> np.ndarray:
    """Nationality mix of an exchange's customers by its home region."""
    w = np.full(len(CODES), 0.2)
    boost = {
        "eu": {"DE": 14, "FR": 10, "ES": 8, "IT": 8, "NL": 6, "PL": 6, "FI": 3, "GB": 3, "UA": 3, "RU": 2, "TR": 2},
        "us": {"US": 40, "GB": 3, "IN": 3, "BR": 2, "NG": 2, "CN": 1, "JP": 1},
        "global": {"US": 10, "GB": 5, "DE": 5, "FR": 3, "TR": 6, "BR": 6, "NG": 5, "IN": 6, "RU": 5, "UA": 4,
                   "JP": 3, "CN": 3, "ES": 2, "IT": 2, "PL": 2, "NL": 2},
        "cis": {"RU": 40, "UA": 10, "BY": 8, "TR": 2, "DE": 1},
    }[region]
    for code, v in boost.items():
        w[INDEX[code]] = v
    return w / w.sum()


def _pick(arr: pa.Array, idx: np.ndarray) -> pa.Array:
    return arr.take(pa.array(idx, pa.int64()))


def make_people(rng: np.random.Generator, nationality: np.ndarray, start_year: float) -> pa.Table:
    """Identities for people of the given nationalities (indices into COUNTRIES).

    Columns: name, gender, date_of_birth, nationality, residence,
    residence_permits, street, city, postcode, country.
    """
    n = len(nationality)
    gender = rng.random(n) < 0.5  # True: female
    # residence: mostly the home country; some live elsewhere with a permit there
    moves = rng.random(n) < 0.08
    residence = nationality.copy()
    eu_idx = np.array([INDEX[c] for c in EU])
    dest = np.where(rng.random(n) < 0.7, eu_idx[rng.integers(0, len(eu_idx), n)],
                    rng.integers(0, len(CODES), n))
    residence[moves] = dest[moves]
    moved = residence != nationality
    # birth dates: adults of 18..75 at the chain's start
    age_days = rng.integers(18 * 365, 75 * 365, n)
    base = np.datetime64(f"{int(start_year)}-01-01")
    dob = (base - age_days.astype("timedelta64[D]")).astype("datetime64[D]")

    given = np.empty(n, dtype=object)
    family = np.empty(n, dtype=object)
    fam_first = np.zeros(n, bool)
    street = np.empty(n, dtype=object)
    num_first = np.zeros(n, bool)
    city = np.empty(n, dtype=object)
    prefix = np.empty(n, dtype=object)
    number = rng.integers(1, 180, n)
    gi = rng.integers(0, 1 << 30, n)
    si = rng.integers(0, 1 << 30, n)
    ci = rng.integers(0, 1 << 30, n)
    sti = rng.integers(0, 1 << 30, n)
    pc_tail = rng.integers(0, 1000, n)
    for k, c in enumerate(COUNTRIES):
        idx = np.nonzero(nationality == k)[0]
        if len(idx):
            fem = gender[idx]
            g_m = np.array(c.male, dtype=object)[gi[idx] % len(c.male)]
            g_f = np.array(c.female, dtype=object)[gi[idx] % len(c.female)]
            s_idx = si[idx] % len(c.surnames)
            s_m = np.array(c.surnames, dtype=object)[s_idx]
            s_f = np.array(c.surnames_f or c.surnames, dtype=object)[s_idx]
            given[idx] = np.where(fem, g_f, g_m)
            family[idx] = np.where(fem, s_f, s_m)
            fam_first[idx] = c.family_first
        idx = np.nonzero(residence == k)[0]
        if len(idx):
            cc = ci[idx] % len(c.cities)
            city[idx] = np.array([x[0] for x in c.cities], dtype=object)[cc]
            prefix[idx] = np.array([x[1] for x in c.cities], dtype=object)[cc]
            street[idx] = np.array(c.streets, dtype=object)[sti[idx] % len(c.streets)]
            num_first[idx] = c.number_first
    first = pa.array(np.where(fam_first, family, given), pa.string())
    second = pa.array(np.where(fam_first, given, family), pa.string())
    full = pc.binary_join_element_wise(first, second, " ")
    num = pc.cast(pa.array(number), pa.string())
    st_arr = pa.array(street, pa.string())
    nf = pa.array(num_first)
    street_line = pc.binary_join_element_wise(pc.if_else(nf, num, st_arr),
                                              pc.if_else(nf, st_arr, num), " ")
    postcode = _postcodes(prefix, pc_tail)
    codes = np.array(CODES, dtype=object)
    offsets = np.concatenate([[0], np.cumsum(moved)]).astype(np.int32)
    permits = pa.ListArray.from_arrays(pa.array(offsets),
                                       pa.array(codes[residence[moved]], pa.string()))
    return pa.table({
        "name": full,
        "gender": pa.array(np.where(gender, "F", "M"), pa.string()),
        "date_of_birth": pa.array(dob, pa.date32()),
        "nationality": pa.array(codes[nationality], pa.string()),
        "residence": pa.array(codes[residence], pa.string()),
        "residence_permits": permits,
        "street": street_line,
        "city": pa.array(city, pa.string()),
        "postcode": postcode,
        "country": pa.array(codes[residence], pa.string()),
    })


def _postcodes(prefix: np.ndarray, tail: np.ndarray) -> pa.Array:
    """City prefix plus digits to five characters; British style ('M4 7AB') for letter prefixes."""
    n = len(prefix)
    plen = np.fromiter((len(p) for p in prefix), np.int64, n) if n else np.zeros(0, np.int64)
    letters = np.fromiter((p[:1].isalpha() for p in prefix), bool, n) if n else np.zeros(0, bool)
    out = pa.array(prefix, pa.string())
    width = np.clip(5 - plen, 1, 4)
    digits = tail % (10 ** width)
    pad = pa.nulls(n, pa.string())
    for w in np.unique(width):
        m = pa.array(width == w)
        s = pc.utf8_lpad(pc.cast(pa.array(digits), pa.string()), int(w), "0")
        pad = pc.if_else(m, s, pad)
    numeric = pc.binary_join_element_wise(out, pad, "")
    a = pc.cast(pa.array(tail % 20 + 1), pa.string())
    b = pc.cast(pa.array(tail % 9 + 1), pa.string())
    british = pc.binary_join_element_wise(out, a, pa.array(np.full(n, " ", object), pa.string()), b,
                                          pa.array(np.full(n, "AB", object), pa.string()), "")
    return pc.if_else(pa.array(letters), british, numeric)


__all__ = ["COUNTRIES", "CODES", "INDEX", "EU", "country_weights", "make_people", "pc"]
